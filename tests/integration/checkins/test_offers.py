"""The check-in itself: offered after the delay from a persisted due time, exactly once; the
three answers; "Talk to a peer" becomes a support request a supporter elsewhere is offered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from client.errors import ApiError
from server.accounts.roles import Role
from server.checkins.states import CheckinStatus
from tests.integration.checkins.conftest import CheckinWorld, new_credential
from tests.integration.checkins.intake import make_event, post_signed
from tests.integration.sockets import open_socket
from tests.live import serve
from tests.world import World, make_settings, seed_world

DELAY = timedelta(hours=2)  # the default


def _report(checkin_world: CheckinWorld, identifier: str, *staff: str) -> datetime:
    sent_at = datetime.now(UTC)
    response = post_signed(checkin_world.world.client, checkin_world.credential,
                           make_event(identifier, *staff))  # fmt: skip
    assert response.status_code == 202, response.text
    return sent_at


def test_offered_after_the_delay_exactly_once(checkin_world: CheckinWorld, tmp_path: Path) -> None:
    clinician = checkin_world.clinician(tmp_path, "c", staff="N-1")
    sent_at = _report(checkin_world, "e1", "N-1")
    assert clinician.client.checkins() == []
    assert checkin_world.fire(sent_at + DELAY - timedelta(minutes=1)) == 0
    assert clinician.client.checkins() == []
    assert checkin_world.fire(sent_at + DELAY + timedelta(seconds=5)) == 1
    assert checkin_world.fire(sent_at + DELAY + timedelta(seconds=6)) == 0  # exactly once
    (offered,) = clinician.client.checkins()
    assert offered["status"] == CheckinStatus.OFFERED and offered["reason"] == "event"
    assert "reported on 12 March" in offered["message"]
    assert offered["reminded"] is False


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_not_now_reminds_once_then_ends(checkin_world: CheckinWorld, tmp_path: Path) -> None:
    clinician = checkin_world.clinician(tmp_path, "c", staff="N-1")
    sent_at = _report(checkin_world, "e1", "N-1")
    checkin_world.fire(sent_at + DELAY + timedelta(seconds=5))
    (offered,) = clinician.client.checkins()
    snoozed = clinician.client.answer_checkin(offered["id"], "snooze")
    assert snoozed["status"] == CheckinStatus.SNOOZED
    assert clinician.client.checkins() == []
    reminder = timedelta(seconds=checkin_world.world.server.settings.checkin_reminder_seconds)
    now = datetime.now(UTC)
    assert checkin_world.fire(now + reminder - timedelta(minutes=1)) == 0
    assert checkin_world.fire(now + reminder + timedelta(seconds=5)) == 1
    (again,) = clinician.client.checkins()
    assert again["id"] == offered["id"] and again["reminded"] is True
    ended = clinician.client.answer_checkin(offered["id"], "snooze")
    assert ended["status"] == CheckinStatus.DECLINED
    assert checkin_world.fire(now + 10 * reminder) == 0
    assert clinician.client.checkins() == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_thanks_ends_it_and_answers_are_the_clinicians_alone(
    checkin_world: CheckinWorld, tmp_path: Path
) -> None:
    clinician = checkin_world.clinician(tmp_path, "c", staff="N-1")
    other = checkin_world.clinician(tmp_path, "o", staff="N-2")
    sent_at = _report(checkin_world, "e1", "N-1")
    checkin_world.fire(sent_at + DELAY + timedelta(seconds=5))
    (offered,) = clinician.client.checkins()
    for answer in ("accept", "snooze", "decline"):
        with pytest.raises(ApiError) as refused:
            other.client.answer_checkin(offered["id"], answer)
        assert refused.value.status == 404
    assert clinician.client.answer_checkin(offered["id"], "decline")["status"] == "declined"
    with pytest.raises(ApiError) as twice:
        clinician.client.answer_checkin(offered["id"], "decline")
    assert twice.value.status == 409
    with pytest.raises(ApiError) as unknown:
        clinician.client.answer_checkin("00000000-0000-4000-8000-000000000000", "accept")
    assert unknown.value.status == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_scheduled_checkin_cannot_be_answered_early(
    checkin_world: CheckinWorld, tmp_path: Path
) -> None:
    clinician = checkin_world.clinician(tmp_path, "c", staff="N-1")
    _report(checkin_world, "e1", "N-1")
    (scheduled,) = checkin_world.offers()
    with pytest.raises(ApiError) as early:
        clinician.client.answer_checkin(str(scheduled.id), "accept")
    assert early.value.status == 404
    assert checkin_world.offers()[0].status == CheckinStatus.SCHEDULED


def test_talk_to_a_peer_opens_a_request_a_supporter_elsewhere_is_offered(
    checkin_world: CheckinWorld, tmp_path: Path
) -> None:
    supporter = checkin_world.clinician(tmp_path, "s", institution="b", role=Role.SUPPORTER)
    supporter.client.set_profile(specialty="207P00000X", years_experience=15,
                                 career_stage="senior", languages=["en"],
                                 time_zone="Europe/Berlin")  # fmt: skip
    supporter.client.set_supporter_profile(topic_expertise=["adverse-event"])
    clinician = checkin_world.clinician(tmp_path, "c", staff="N-1")
    clinician.client.set_profile(specialty="207P00000X", years_experience=4,
                                 career_stage="resident", languages=["en"],
                                 time_zone="America/Chicago")  # fmt: skip
    sent_at = _report(checkin_world, "e1", "N-1")
    checkin_world.fire(sent_at + DELAY + timedelta(seconds=5))
    (offered,) = clinician.client.checkins()
    accepted = clinician.client.answer_checkin(offered["id"], "accept")
    assert accepted["checkin"]["status"] == CheckinStatus.ACCEPTED
    request = accepted["request"]
    assert request["topics"] == ["adverse-event"] and request["urgency"] == "soon"
    assert request["status"] == "offered"
    (offer,) = supporter.client.offers()
    room = supporter.client.accept_offer(offer["id"])
    assert clinician.client.request_status(request["id"])["room_id"] == room["id"]
    assert clinician.client.checkins() == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_accepting_without_a_profile_changes_nothing(
    checkin_world: CheckinWorld, tmp_path: Path
) -> None:
    clinician = checkin_world.clinician(tmp_path, "c", staff="N-1")
    sent_at = _report(checkin_world, "e1", "N-1")
    checkin_world.fire(sent_at + DELAY + timedelta(seconds=5))
    (offered,) = clinician.client.checkins()
    with pytest.raises(ApiError) as refused:
        clinician.client.answer_checkin(offered["id"], "accept")
    assert refused.value.status == 409 and "profile" in refused.value.detail
    assert clinician.client.checkins() == [offered]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_linking_keeps_no_identifier_and_unlinking_forgets(
    checkin_world: CheckinWorld, tmp_path: Path
) -> None:
    clinician = checkin_world.clinician(tmp_path, "c")
    assert clinician.client.checkin_link() == {"linked": False, "team_linked": False,
                                               "linked_at": None}  # fmt: skip
    linked = clinician.client.link_staff_identifier("N-1", team="ICU-4")
    assert linked["linked"] and linked["team_linked"] and "N-1" not in str(linked)
    for bad in ("", " " * 3, "x" * 65, "tab\there"):
        with pytest.raises(ApiError) as refused:
            clinician.client.link_staff_identifier(bad)
        assert refused.value.status == 422
    assert clinician.client.checkin_link()["linked"] is True
    _report(checkin_world, "e1", "N-1")
    assert checkin_world.counts()["checkin_offers"] == 1
    assert clinician.client.unlink_staff_identifier() == {"linked": False, "team_linked": False,
                                                           "linked_at": None}  # fmt: skip
    assert checkin_world.counts()["checkin_offers"] == 0  # not offered yet: forgotten too
    assert checkin_world.counts()["staff_links"] == 0
    _report(checkin_world, "e2", "N-1")
    assert checkin_world.counts()["checkin_offers"] == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_sweeper_offers_and_tells_the_socket(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path / "var", checkin_delay_seconds=0,
                             checkin_sweep_seconds=0.05)  # fmt: skip
    with serve(settings) as server, server.client() as client:
        world = World(server=server, client=client)
        seed_world(world)
        admin = world.device(Role.INSTITUTION_ADMIN, "a")
        checkin_world = CheckinWorld(world=world, admin=admin,
                                     credential=new_credential(world, admin))  # fmt: skip
        clinician = checkin_world.clinician(tmp_path, "c", staff="N-1")

        async def run() -> dict[str, object]:
            socket = await open_socket(server.base_url, clinician.client.token)
            try:
                await asyncio.to_thread(_report, checkin_world, "e1", "N-1")
                return await socket.expect("notify", timeout=5)
            finally:
                await socket.close()

        frame = asyncio.run(run())
        assert frame["event"] == "checkin"
        (offered,) = clinician.client.checkins()
        assert offered["status"] == CheckinStatus.OFFERED
        clinician.client.close()
