"""The relay through the real server: delivery, idempotence, order, franking, bad input, limits."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from crypto import DecryptionError, Envelope, verify_report
from crypto.encoding import b64decode
from server.db.models import MailboxEntry, SentMessage
from server.platform.secrets import load_server_keys
from tests.integration.flows import Flow, build_flow
from tests.integration.peers import count, custom_world
from tests.integration.sockets import open_socket, token
from tests.world import World

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def first_envelope(flow: Flow, text: bytes = b"hello") -> Envelope:
    session = flow.clinician.client.start_session(flow.room_id)
    return session.encrypt(text)


def send_frame(envelope: Envelope | str | bytes) -> dict[str, Any]:
    raw = envelope.encode() if isinstance(envelope, Envelope) else envelope
    return {"type": "send", "envelope": raw if isinstance(raw, str) else raw.decode()}


async def test_envelope_is_stored_delivered_acked_and_franked(world: World, flow: Flow) -> None:
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    bob = await open_socket(world.server.base_url, token(flow.supporter))
    envelope = first_envelope(flow, b"I keep thinking about the code last night")
    await alice.send(send_frame(envelope))
    accepted = await alice.expect("accepted")
    assert accepted["client_id"] == envelope.message_id
    delivered = await bob.expect("deliver")
    assert delivered["id"] == accepted["id"] and delivered["room"] == flow.room_id
    assert count(world, MailboxEntry) == 1

    got = Envelope.decode(delivered["envelope"])
    _session, message = flow.supporter.client.accept_session(flow.room_id, got)
    assert message.plaintext == b"I keep thinking about the code last night"

    # The franking tag lets the recipient prove what was said, and nothing else.
    secret = load_server_keys(world.server.settings).franking_secret
    ts_ms = int(_parse_ts(delivered["ts"]) * 1000)
    report = {
        "franking_key": message.franking_key,
        "tag": b64decode(delivered["tag"], field="tag", max_length=64),
        "room": flow.room_id,
        "sender": delivered["sender"],
        "recipient": flow.supporter.client.room(flow.room_id)["me"]["member_id"],
        "timestamp": ts_ms,
    }
    verify_report(secret, plaintext=message.plaintext, **report)
    with pytest.raises(Exception, match=r"(?i)report"):
        verify_report(secret, plaintext=b"something else", **report)

    await bob.send({"type": "ack", "ids": [delivered["id"]]})
    await bob.send({"type": "ping"})
    await bob.expect("pong")
    assert count(world, MailboxEntry) == 0
    assert count(world, SentMessage) == 1  # the tag stays for the report window
    await alice.close()
    await bob.close()


def _parse_ts(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@SQLITE_ONLY
async def test_offline_recipient_syncs_in_order_and_resends_are_idempotent(
    world: World, flow: Flow
) -> None:
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    session = flow.clinician.client.start_session(flow.room_id)
    envelopes = [session.encrypt(f"message {i}".encode()) for i in range(12)]
    ids = []
    for envelope in envelopes:
        await alice.send(send_frame(envelope))
        ids.append((await alice.expect("accepted"))["id"])
    # The same envelope again: same answer, stored once.
    await alice.send(send_frame(envelopes[3]))
    assert (await alice.expect("accepted"))["id"] == ids[3]
    assert count(world, MailboxEntry) == 12

    bob = await open_socket(world.server.base_url, token(flow.supporter))
    await bob.send({"type": "sync", "after": 0})
    delivered = [await bob.expect("deliver") for _ in envelopes]
    synced = await bob.expect("synced")
    assert [d["id"] for d in delivered] == ids
    assert [d["seq"] for d in delivered] == sorted(d["seq"] for d in delivered)
    assert synced["cursor"] == delivered[-1]["seq"]
    texts = []
    first, message = flow.supporter.client.accept_session(
        flow.room_id, Envelope.decode(delivered[0]["envelope"])
    )
    texts.append(message.plaintext)
    texts += [first.decrypt(Envelope.decode(d["envelope"])).plaintext for d in delivered[1:]]
    assert texts == [f"message {i}".encode() for i in range(12)]

    # A cursor skips what was already seen; acks empty the mailbox.
    await bob.send({"type": "sync", "after": delivered[5]["seq"]})
    again = [await bob.expect("deliver") for _ in range(6)]
    assert [d["id"] for d in again] == ids[6:]
    await bob.expect("synced")
    await bob.send({"type": "ack", "ids": ids})
    await bob.send({"type": "sync", "after": 0})
    assert (await bob.expect("synced"))["cursor"] == 0
    await alice.close()
    await bob.close()


@SQLITE_ONLY
async def test_tampered_ciphertext_fails_at_the_recipient_only(world: World, flow: Flow) -> None:
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    bob = await open_socket(world.server.base_url, token(flow.supporter))
    session = flow.clinician.client.start_session(flow.room_id)
    genuine = session.encrypt(b"first")
    await alice.send(send_frame(genuine))
    delivered = await bob.expect("deliver")
    bob_session, _ = flow.supporter.client.accept_session(
        flow.room_id, Envelope.decode(delivered["envelope"])
    )
    second = session.encrypt(b"second")
    wire = json.loads(second.encode())
    ct = bytearray(b64decode(wire["ct"], field="ct", max_length=1 << 17))
    ct[5] ^= 0x01
    from crypto.encoding import b64encode

    wire["ct"] = b64encode(bytes(ct))
    wire["id"] = "tampered-1"
    await alice.send({"type": "send", "envelope": json.dumps(wire, separators=(",", ":"))})
    await alice.expect("accepted")  # the server cannot tell: it never reads ciphertext
    tampered = await bob.expect("deliver")
    with pytest.raises(DecryptionError):
        bob_session.decrypt(Envelope.decode(tampered["envelope"]))
    await alice.send(send_frame(second))
    await alice.expect("accepted")
    genuine_second = await bob.expect("deliver")
    assert bob_session.decrypt(Envelope.decode(genuine_second["envelope"])).plaintext == b"second"
    await alice.close()
    await bob.close()


@SQLITE_ONLY
async def test_bad_frames_get_typed_errors_and_change_nothing(world: World, flow: Flow) -> None:
    outsider_flow = build_flow(world, world.server.settings.data_dir / "outsider")
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    envelope = first_envelope(flow)
    good = json.loads(envelope.encode())
    spoofed = dataclasses.replace(envelope, sender=str(uuid.uuid4())).encode()
    other_room = dataclasses.replace(envelope, room=outsider_flow.room_id).encode()
    cases: list[tuple[Any, str]] = [
        ("not json", "malformed"),
        ("[]", "malformed"),
        ({"type": "shout"}, "malformed"),
        ({"type": "send"}, "malformed"),
        ({"type": "send", "envelope": 7}, "malformed"),
        ({"type": "send", "envelope": "x", "extra": 1}, "malformed"),
        ({"type": "ack", "ids": []}, "malformed"),
        ({"type": "ack", "ids": ["not-a-uuid"]}, "malformed"),
        ({"type": "sync", "after": -1}, "malformed"),
        ({"type": "auth", "token": "ph1_again"}, "already_authenticated"),
        ({"type": "send", "envelope": "{}"}, "invalid_envelope"),
        ({"type": "send", "envelope": json.dumps({**good, "v": 99})}, "invalid_envelope"),
        (send_frame(spoofed), "invalid_envelope"),
        (send_frame(other_room), "unknown_room"),
        ({"type": "send", "envelope": "x" * 100_000}, "too_large"),
    ]
    for frame, code in cases:
        await alice.send(frame if isinstance(frame, str) else json.dumps(frame))
        error = await alice.expect("error")
        assert error["code"] == code, (
            frame if isinstance(frame, str) else frame.get("type"),
            error,
        )
        assert "ph1_again" not in error["message"]
    # Errors about a decodable envelope name it, so a client knows which send failed.
    await alice.send(send_frame(spoofed))
    assert (await alice.expect("error"))["ref"] == envelope.message_id
    await alice.send({"type": "ping"})
    await alice.expect("pong")  # still usable
    assert count(world, MailboxEntry) == 0 and count(world, SentMessage) == 0
    # An ack of someone else's delivery deletes nothing.
    await alice.send(send_frame(envelope))
    accepted = await alice.expect("accepted")
    outsider = await open_socket(world.server.base_url, token(outsider_flow.supporter))
    await outsider.send({"type": "ack", "ids": [accepted["id"]]})
    await outsider.send({"type": "ping"})
    await outsider.expect("pong")
    assert count(world, MailboxEntry) == 1
    await alice.close()
    await outsider.close()
    outsider_flow.clinician.client.close()
    outsider_flow.supporter.client.close()


@SQLITE_ONLY
async def test_sending_to_a_closed_room_or_after_the_peer_left(world: World, flow: Flow) -> None:
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    envelope = first_envelope(flow)
    flow.supporter.client.leave_room(flow.room_id)
    await alice.send(send_frame(envelope))
    assert (await alice.expect("error"))["code"] in {"no_recipient", "room_closed"}
    assert count(world, MailboxEntry) == 0
    await alice.close()


@SQLITE_ONLY
async def test_a_closed_room_answers_room_closed_not_unavailable(world: World, flow: Flow) -> None:
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    envelope = first_envelope(flow)
    flow.supporter.client.close_room(flow.room_id)  # both are still members: only closed
    await alice.send(send_frame(envelope))
    error = await alice.expect("error")
    assert error["code"] == "room_closed"
    assert count(world, MailboxEntry) == 0
    await alice.close()


@SQLITE_ONLY
async def test_authentication_frames(world: World, flow: Flow) -> None:
    base = world.server.base_url
    for first in ({"type": "auth", "token": "ph1_" + "x" * 43}, {"type": "ping"}, "garbage"):
        socket = await open_socket(base, None)
        await socket.send(first if isinstance(first, str) else json.dumps(first))
        await socket.connection.wait_closed()
        assert socket.connection.close_code == 4001


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_limits_close_with_documented_codes(database_url: str, tmp_path: Path) -> None:
    overrides = {
        "ws_auth_timeout_seconds": 0.3,
        "ws_max_frame_bytes": 4096,
        "ws_messages_per_second": 2.0,
        "ws_burst": 5,
        "ws_connections_per_account": 2,
    }
    with custom_world(database_url, tmp_path, **overrides) as world:
        flow = build_flow(world, tmp_path)
        base, bearer = world.server.base_url, token(flow.clinician)

        silent = await open_socket(base, None)
        await silent.connection.wait_closed()
        assert silent.connection.close_code == 4002

        big = await open_socket(base, bearer)
        await big.send({"type": "send", "envelope": "x" * 5000})
        await big.connection.wait_closed()
        assert big.connection.close_code == 1009

        chatty = await open_socket(base, bearer)
        for _ in range(20):
            try:
                await chatty.send({"type": "ping"})
            except Exception:
                break
        await chatty.connection.wait_closed()
        assert chatty.connection.close_code == 4029

        first = await open_socket(base, bearer)
        second = await open_socket(base, bearer)
        third = await open_socket(base, bearer, ready=False)
        await third.connection.wait_closed()
        assert third.connection.close_code == 4008
        await first.close()
        await second.close()
        flow.clinician.client.close()
        flow.supporter.client.close()


@SQLITE_ONLY
async def test_supporters_hear_about_offers_and_rooms(world: World, tmp_path: Path) -> None:
    from server.accounts.roles import Role
    from tests.integration.flows import side

    helper = side(world, tmp_path, "s", Role.SUPPORTER, "b")
    helper.client.set_profile(specialty="207P00000X", years_experience=15, career_stage="senior",
                              languages=["en"], time_zone="Europe/Berlin")  # fmt: skip
    helper.client.set_supporter_profile(topic_expertise=["adverse-event"])
    asker = side(world, tmp_path, "c", Role.CLINICIAN, "a")
    asker.client.set_profile(specialty="207P00000X", years_experience=4, career_stage="resident",
                             languages=["en"], time_zone="America/Chicago")  # fmt: skip
    helper_socket = await open_socket(world.server.base_url, token(helper))
    asker_socket = await open_socket(world.server.base_url, token(asker))
    request = asker.client.request_support(["adverse-event"])
    offer = await helper_socket.expect("notify")
    assert offer["event"] == "offer"
    assert (await asker_socket.expect("notify"))["data"] == {"request": request["id"]}
    (pending,) = helper.client.offers()
    room = helper.client.accept_offer(pending["id"])
    events = {(await asker_socket.expect("notify"))["event"] for _ in range(2)}
    assert events == {"request", "room"}
    helper.client.join_room(room["id"])  # the helper's bundle is ready: the asker may start
    assert (await asker_socket.expect("notify"))["data"] == {"room": room["id"]}
    helper.client.leave_room(room["id"])
    note = await asker_socket.expect("notify")
    assert note == {"type": "notify", "event": "room", "data": {"room": room["id"]}}
    await helper_socket.close()
    await asker_socket.close()
    helper.client.close()
    asker.client.close()


@SQLITE_ONLY
async def test_housekeeping_expires_undelivered_envelopes(world: World, flow: Flow) -> None:
    from datetime import UTC, datetime, timedelta

    from server.db.engine import Database
    from server.jobs import sweep

    alice = await open_socket(world.server.base_url, token(flow.clinician))
    await alice.send(send_frame(first_envelope(flow)))
    await alice.expect("accepted")
    await alice.close()
    settings = world.server.settings
    db = Database(settings.database_url)
    try:
        await sweep(db, now=datetime.now(UTC), settings=settings)
        assert count(world, MailboxEntry) == 1  # not yet expired
        later = datetime.now(UTC) + timedelta(seconds=settings.mailbox_retention_seconds + 1)
        await sweep(db, now=later, settings=settings)
        assert count(world, MailboxEntry) == 0
        assert count(world, SentMessage) == 1  # the report window is longer
        much_later = later + timedelta(seconds=settings.report_window_seconds)
        await sweep(db, now=much_later, settings=settings)
        assert count(world, SentMessage) == 0
    finally:
        await db.dispose()
