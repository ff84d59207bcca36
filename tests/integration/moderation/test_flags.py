"""Flags through the real server with the SDK: live notification, the risk-ordered queue, sealed
reports that only moderators open, franking verification, claim / acknowledge / resolve, and
the actions (private room, close, suspend). Bad input gets a clear error and changes nothing."""

from __future__ import annotations

import asyncio
import base64
import uuid
from pathlib import Path

import pytest
from sqlmodel import col, select

from client.errors import ApiError
from crypto import DecryptionError
from crypto.report import Report, ReportKeyPair, RevealedMessage, SealedReport, seal_report
from server.accounts.roles import Role
from server.db.models import AccessToken, AuditEntry, Flag
from tests.integration.flows import build_flow
from tests.integration.moderation.desk import (
    OPEN_SIDES,
    moderator,
    notified,
    open_desk,
    person,
)
from tests.integration.peers import count, custom_world
from tests.integration.sockets import open_socket
from tests.world import World

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _status(error: pytest.ExceptionInfo[ApiError]) -> int:
    return error.value.status


async def test_a_flag_reaches_the_on_duty_moderator_live_and_sorts_by_risk(
    world: World, tmp_path: Path
) -> None:
    desk = await open_desk(world, tmp_path)
    socket = await open_socket(world.server.base_url, desk.primary.client.token)
    try:
        other = desk.member.client.flag_room(desk.flow.room_id, "other", note="not urgent")
        assert (await notified(socket, flag=other["id"], change="raised"))["data"]["tier"] == (
            "primary"
        )
        crisis = desk.member.client.flag_room(desk.flow.room_id, "crisis")
        frame = await notified(socket, flag=crisis["id"], change="raised")
        assert frame["data"]["severity"] == "critical"
    finally:
        await socket.close()
    # The flagging member sees the three tiers of crisis resources at once.
    tiers = crisis["crisis_resources"]
    assert set(tiers) == {"peer", "employee_assistance", "crisis_line"} and all(tiers.values())
    queue = desk.primary.client.flags()
    assert [f["id"] for f in queue] == [crisis["id"], other["id"]]  # crisis first, though newer
    assert queue[0]["deadline"] and queue[0]["status"] == "open"


async def test_report_opens_for_moderators_only_and_verifies_by_franking(
    world: World, tmp_path: Path
) -> None:
    desk = await open_desk(world, tmp_path, ["I can't sleep since the arrest.", "I want out."])
    backup = moderator(world, tmp_path, "backup", tier="backup", on_duty=False)
    flag = desk.member.client.flag_room(
        desk.flow.room_id, "crisis", note="worried about my peer", reveal=desk.received
    )
    seen = desk.primary.client.flag(flag["id"])
    report = desk.primary.client.read_report(seen)
    assert report.note == "worried about my peer"
    assert [m.plaintext for m in report.messages] == [
        b"I can't sleep since the arrest.",
        b"I want out.",
    ]
    # Sealed to every moderator of the network (escalation may hand it to the backup tier).
    assert backup.client.read_report(backup.client.flag(flag["id"])).note == report.note
    # A network admin sees the queue entry, not the report.
    admin = person(world, tmp_path, "admin", Role.NETWORK_ADMIN, "a")
    assert admin.client.flag(flag["id"])["sealed_report"] is None

    verdicts = desk.primary.client.verify_report(flag["id"], report)
    assert [v["verified"] for v in verdicts] == [True, True]
    assert not any(v["from_reporter"] for v in verdicts)  # both came from the peer

    # A forged or altered revealed message is "not verified".
    first, second = report.messages
    altered = RevealedMessage(first.id, first.sender, b"I am fine.", first.franking_key, first.tag)
    forged_key = RevealedMessage(second.id, second.sender, second.plaintext, bytes(32), second.tag)
    verdicts = desk.primary.client.verify_report(
        flag["id"], Report(report.category, report.note, (altered, forged_key))
    )
    assert [v["verified"] for v in verdicts] == [False, False]


async def test_the_steps_claim_acknowledge_resolve_and_their_conflicts(
    world: World, tmp_path: Path
) -> None:
    desk = await open_desk(world, tmp_path)
    rival = moderator(world, tmp_path, "rival")
    flag = desk.member.client.flag_room(desk.flow.room_id, "harassment")
    with pytest.raises(ApiError) as acked_early:
        desk.primary.client.acknowledge_flag(flag["id"])
    assert _status(acked_early) == 409
    claimed = desk.primary.client.claim_flag(flag["id"])
    assert claimed["status"] == "claimed" and claimed["claimed_by_me"]
    with pytest.raises(ApiError) as second_claim:
        rival.client.claim_flag(flag["id"])
    assert _status(second_claim) == 409 and "already claimed" in second_claim.value.detail
    with pytest.raises(ApiError) as not_owner:
        rival.client.acknowledge_flag(flag["id"])
    assert _status(not_owner) == 409
    acked = desk.primary.client.acknowledge_flag(flag["id"])
    assert acked["status"] == "acknowledged" and acked["deadline"] is None
    with pytest.raises(ApiError) as bad_outcome:
        desk.primary.client.resolve_flag(flag["id"], "banished")
    assert _status(bad_outcome) == 422 and "banished" not in bad_outcome.value.detail
    resolved = desk.primary.client.resolve_flag(flag["id"], "supported")
    assert resolved["status"] == "resolved" and resolved["outcome"] == "supported"
    before = count(world, AuditEntry)
    for act in (
        lambda: desk.primary.client.resolve_flag(flag["id"], "no_action"),
        lambda: desk.primary.client.close_flagged_room(flag["id"]),
    ):
        with pytest.raises(ApiError) as resolved_already:
            act()
        assert _status(resolved_already) == 409
    assert count(world, AuditEntry) == before
    assert desk.primary.client.flags() == []
    assert [f["id"] for f in desk.primary.client.flags(include_resolved=True)] == [flag["id"]]


async def test_actions_private_room_close_and_suspend(world: World, tmp_path: Path) -> None:
    desk = await open_desk(world, tmp_path)
    mod, member = desk.primary.client, desk.member.client
    flag = member.flag_room(desk.flow.room_id, "harassment", reveal=desk.received)
    with pytest.raises(ApiError) as unclaimed:
        mod.open_private_room(flag["id"])
    assert _status(unclaimed) == 409
    mod.claim_flag(flag["id"])

    private = mod.open_private_room(flag["id"])
    room = member.room(private["room_id"])
    assert room["kind"] == "moderation" and room["peer"]["handle"] == "Moderator"
    assert mod.room(private["room_id"])["me"]["handle"] == "Moderator"
    # The same machinery: both join with room identities and can start a session.
    member.join_room(private["room_id"])
    mod.join_room(private["room_id"])
    assert mod.start_session(private["room_id"]) is not None

    closed = mod.close_flagged_room(flag["id"])
    assert closed["room_id"] == desk.flow.room_id
    assert member.room(desk.flow.room_id)["status"] == "closed"

    (message,) = mod.read_report(mod.flag(flag["id"])).messages[:1]
    offender = message.sender  # the peer's member id, from the verified report
    offender_socket = await open_socket(world.server.base_url, desk.flow.clinician.client.token)
    try:
        mod.suspend_member(flag["id"], offender)
        await notified(offender_socket, event="suspended")
        await asyncio.wait_for(offender_socket.connection.wait_closed(), 5)
        assert offender_socket.connection.close_code == 4001  # then the socket is closed
    finally:
        await offender_socket.close()
    with pytest.raises(ApiError) as suspended:
        desk.flow.clinician.client.me()
    assert _status(suspended) == 401 and "suspended" in suspended.value.detail
    with pytest.raises(ApiError) as relogin:
        desk.flow.clinician.client.login()
    assert _status(relogin) == 401 and "suspended" in relogin.value.detail
    offender_id = uuid.UUID(desk.flow.clinician.me["account_id"])
    live = count(world, AccessToken, col(AccessToken.revoked_at).is_(None),
                 col(AccessToken.account_id) == offender_id)  # fmt: skip
    assert live == 0
    # A moderator cannot be suspended through a flag, nor a member of another room.
    with pytest.raises(ApiError) as stranger:
        mod.suspend_member(flag["id"], room["me"]["member_id"])
    assert _status(stranger) == 404
    actions = [e.action for e in _audit(world)]
    assert {"room.opened", "room.closed", "account.suspended"} <= set(actions)


def _audit(world: World) -> list[AuditEntry]:
    async def go(session):  # type: ignore[no-untyped-def]
        return list((await session.exec(select(AuditEntry).order_by(AuditEntry.seq))).all())

    found: list[AuditEntry] = world.run(go)
    return found


async def test_bad_flags_are_refused_and_change_nothing(world: World, tmp_path: Path) -> None:
    desk = await open_desk(world, tmp_path)
    member = desk.member
    outsider = person(world, tmp_path, "outsider", Role.CLINICIAN, "a")
    path = f"/api/v1/rooms/{desk.flow.room_id}/flags"
    keys = list(member.client.report_keys(desk.flow.room_id).report_keys)
    good = seal_report(Report("crisis"), room=desk.flow.room_id, recipients=keys).encode()
    stranger_key = ReportKeyPair.generate().public_key
    wrong_keys = seal_report(Report("crisis"), room=desk.flow.room_id,
                             recipients=[stranger_key]).encode()  # fmt: skip
    sealed = SealedReport.decode(good)
    too_big = SealedReport(sealed.nonce, bytes(60_000), sealed.recipients).encode()
    cases = [
        (outsider, {"category": "crisis"}, 404, "no such room"),
        (member, {"category": "feelings-hurt"}, 422, "category"),
        (member, {"category": "crisis", "sealed_report": "{not json"}, 422, "sealed report"),
        (member, {"category": "crisis", "sealed_report": wrong_keys}, 409, "re-seal"),
        (member, {"category": "crisis", "sealed_report": 42}, 422, ""),
        (member, {"category": "crisis", "sealed_report": too_big}, 413, ""),
        (member, {"category": "crisis", "extra": True}, 422, ""),
    ]
    for who, body, status, word in cases:
        response = world.client.post(path, json=body, headers=_auth(who.client.token))
        assert response.status_code == status, (body, response.text)
        problem = response.json()
        assert word in problem["detail"].lower()
        assert "feelings-hurt" not in response.text and "{not json" not in response.text
    malformed = world.client.post(path, content=b"{", headers={
        **_auth(member.client.token), "content-type": "application/json"})  # fmt: skip
    assert malformed.status_code == 422
    assert (
        count(world, Flag) == 0
        and count(world, AuditEntry, AuditEntry.action == "flag.raised") == 0
    )
    ok = world.client.post(path, json={"category": "crisis", "sealed_report": good},
                           headers=_auth(member.client.token))  # fmt: skip
    assert ok.status_code == 201 and count(world, Flag) == 1


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_other_networks_and_roles_cannot_see_or_act(world: World, tmp_path: Path) -> None:
    desk = await open_desk(world, tmp_path)
    flag = desk.member.client.flag_room(desk.flow.room_id, "crisis", reveal=desk.received)
    south = moderator(world, tmp_path, "south-moderator", institution="c")
    assert south.client.flags() == []
    for act in (
        lambda: south.client.flag(flag["id"]),
        lambda: south.client.claim_flag(flag["id"]),
        lambda: south.client.verify_report(flag["id"], Report("crisis", "", ())),
    ):
        with pytest.raises(ApiError) as refused:
            act()
        assert refused.value.status in (404, 422)
    with pytest.raises(ApiError) as not_found:
        south.client.claim_flag(flag["id"])
    assert not_found.value.status == 404
    # South's moderator was never a recipient of the report.
    with pytest.raises(DecryptionError):
        south.client.read_report(desk.primary.client.flag(flag["id"]))
    for role in (Role.CLINICIAN, Role.SUPPORTER, Role.INSTITUTION_ADMIN, Role.NETWORK_ADMIN):
        someone = person(world, tmp_path, f"p-{role.value}", role, "a")
        response = world.client.post(f"/api/v1/moderation/flags/{flag['id']}/claim",
                                     headers=_auth(someone.client.token))  # fmt: skip
        assert response.status_code == 403, role
        if role is not Role.NETWORK_ADMIN:
            listing = world.client.get(
                "/api/v1/moderation/flags", headers=_auth(someone.client.token)
            )
            assert listing.status_code == 403, role
    assert desk.primary.client.flag(flag["id"])["status"] == "open"


async def test_verifying_a_message_never_delivered_in_the_room_is_refused(
    world: World, tmp_path: Path
) -> None:
    desk = await open_desk(world, tmp_path)
    flag = desk.member.client.flag_room(desk.flow.room_id, "other", reveal=desk.received)
    mod = desk.primary.client
    mod.claim_flag(flag["id"])
    report = mod.read_report(mod.flag(flag["id"]))
    ghost = RevealedMessage("0f0e0d0c-0b0a-4908-8706-050403020100", "x", b"never sent",
                            bytes(32), bytes(32))  # fmt: skip
    with pytest.raises(ApiError) as refused:
        mod.verify_report(flag["id"], Report("other", "", (*report.messages, ghost)))
    assert refused.value.status == 404 and "never sent" not in refused.value.detail
    bad = world.client.post(f"/api/v1/moderation/flags/{flag['id']}/verify",
                            json={"messages": [{"message_id": report.messages[0].id,
                                                "commitment": "!" * 43}]},
                            headers=_auth(mod.token))  # fmt: skip
    assert bad.status_code == 422
    assert base64.urlsafe_b64encode(bytes(3)).decode() not in bad.text
    assert mod.flag(flag["id"])["status"] == "claimed"


async def test_the_network_admin_sees_who_is_on_duty(world: World, tmp_path: Path) -> None:
    primary = moderator(world, tmp_path, "primary")
    backup = moderator(world, tmp_path, "backup", tier="backup")
    off = moderator(world, tmp_path, "off", on_duty=False)
    moderator(world, tmp_path, "south", institution="c")  # another network: not listed
    admin = person(world, tmp_path, "admin", Role.NETWORK_ADMIN)
    rota = admin.client.rota()
    assert [(e["account_id"], e["tier"], e["on_duty"]) for e in rota] == [
        (primary.me["account_id"], "primary", True),
        (backup.me["account_id"], "backup", True),
        (off.me["account_id"], "primary", False),
    ]
    assert all(e["has_report_key"] for e in rota)
    with pytest.raises(ApiError) as bad_tier:
        primary.client.set_duty(True, tier="admins")
    assert bad_tier.value.status == 422
    assert primary.client.set_duty(False)[0]["account_id"] == backup.me["account_id"]


async def test_a_member_cannot_flood_the_queue(database_url: str, tmp_path: Path) -> None:
    with custom_world(database_url, tmp_path, max_open_flags_per_member=2) as world:
        flow = build_flow(world, tmp_path)
        OPEN_SIDES.extend([flow.clinician, flow.supporter])
        member = flow.supporter.client
        first = member.flag_room(flow.room_id, "other")
        second = member.flag_room(flow.room_id, "other")
        with pytest.raises(ApiError) as flooded:
            member.flag_room(flow.room_id, "harassment")
        assert flooded.value.status == 409 and "open flags" in flooded.value.detail
        assert count(world, Flag) == 2
        # A crisis is never refused; nor is the other member limited by this member's flags.
        assert member.flag_room(flow.room_id, "crisis")["severity"] == "critical"
        assert flow.clinician.client.flag_room(flow.room_id, "other")["severity"] == "normal"
        mod = moderator(world, tmp_path, "moderator").client
        for done in (first, second):  # resolved flags no longer count (the crisis still does)
            mod.claim_flag(done["id"])
            mod.acknowledge_flag(done["id"])
            mod.resolve_flag(done["id"], "no_action")
        assert member.flag_room(flow.room_id, "harassment")["category"] == "harassment"
