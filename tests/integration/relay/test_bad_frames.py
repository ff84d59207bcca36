"""Bad input on the relay socket gets a clear, typed answer that never quotes the input, and
changes nothing: binary frames, huge cursors, frames over the byte limit, invalid UTF-8, hostile
field names and values; and a flood of unauthenticated sockets from one address is capped."""

from __future__ import annotations

import dataclasses
import json
import os
import struct
from pathlib import Path

import pytest

from crypto.encoding import canonical_json
from server.db.models import MailboxEntry, SentMessage
from tests.integration.flows import Flow, build_flow
from tests.integration.peers import count, custom_world
from tests.integration.sockets import Socket, closed_with, open_socket, token
from tests.world import World

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def still_usable(socket: Socket) -> None:
    await socket.send({"type": "ping"})
    await socket.expect("pong")


@SQLITE_ONLY
async def test_binary_frames_get_a_typed_error_and_are_not_processed(
    world: World, flow: Flow
) -> None:
    session = flow.clinician.client.start_session(flow.room_id)
    envelope = session.encrypt(b"sent as a binary frame").encode().decode()
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    # A perfectly good `send`, but in a binary frame: refused, not stored.
    await alice.connection.send(json.dumps({"type": "send", "envelope": envelope}).encode())
    error = await alice.expect("error")
    assert error["code"] == "malformed" and "binary" in error["message"]
    await still_usable(alice)
    assert count(world, MailboxEntry) == 0 and count(world, SentMessage) == 0
    await alice.close()
    # Before authentication, a binary frame is not an `auth` frame.
    anonymous = await open_socket(world.server.base_url, None)
    auth = json.dumps({"type": "auth", "token": token(flow.clinician)})
    await anonymous.connection.send(auth.encode())
    assert await closed_with(anonymous) == 4001


@SQLITE_ONLY
async def test_a_sync_cursor_beyond_64_bits_is_malformed_not_unavailable(
    world: World, flow: Flow
) -> None:
    bob = await open_socket(world.server.base_url, token(flow.supporter))
    for after in (2**63, 2**64 + 5):
        await bob.send(f'{{"type":"sync","after":{after}}}')
        error = await bob.expect("error")
        assert error["code"] == "malformed", error
        assert str(after) not in error["message"]
    await bob.send({"type": "sync", "after": 2**63 - 1})
    assert (await bob.expect("synced"))["cursor"] == 2**63 - 1
    await bob.close()


@SQLITE_ONLY
async def test_no_error_message_quotes_the_input(world: World, flow: Flow) -> None:
    session = flow.clinician.client.start_session(flow.room_id)
    good = session.encrypt(b"hello").to_json()
    cases: list[tuple[str, str, str]] = [
        (json.dumps({"type": "Q" * 10_000}), "QQQQ", "malformed"),
        (json.dumps({"type": "send", "envelope": "x", "zzFrameField": 1}), "zzFrameField",
         "malformed"),
        (json.dumps({"type": "ack", "ids": ["zz-not-a-uuid"]}), "z", "malformed"),
        (json.dumps({"type": "sync", "after": "zz"}), "zz", "malformed"),
        (json.dumps({"type": "send", "envelope": canonical_json({**good, "v": "9" * 90_000})
                     .decode()}), "999", "invalid_envelope"),
        (json.dumps({"type": "send", "envelope": canonical_json({**good, "zzEnvField": 1})
                     .decode()}), "zzEnvField", "invalid_envelope"),
        (json.dumps({"type": "send", "envelope": canonical_json({**good, "v": "v-zz9"})
                     .decode()}), "zz9", "invalid_envelope"),
    ]  # fmt: skip
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    for raw, echo, code in cases:
        await alice.send(raw)
        error = await alice.expect("error")
        assert error["code"] == code, (code, error)
        assert echo not in error["message"], error["message"]
        assert len(error["message"]) < 200
    await still_usable(alice)
    assert count(world, MailboxEntry) == 0 and count(world, SentMessage) == 0
    await alice.close()


def _frame_header(length: int) -> bytes:
    """A masked text frame header announcing `length` payload bytes (the payload never comes)."""
    return bytes([0x81, 0x80 | 127]) + struct.pack("!Q", length) + os.urandom(4)


@SQLITE_ONLY
async def test_the_frame_limit_is_bytes_and_enforced_before_buffering(
    database_url: str, tmp_path: Path
) -> None:
    limit = 4096
    overrides = {"ws_max_frame_bytes": limit, "ws_unauthenticated_per_address": 3,
                 "ws_auth_timeout_seconds": 20.0}  # fmt: skip
    with custom_world(database_url, tmp_path, **overrides) as world:
        flow = build_flow(world, tmp_path)
        base, bearer = world.server.base_url, token(flow.clinician)

        # 2,000 characters of four bytes each: 8,000 bytes, twice the limit.
        wide = await open_socket(base, bearer)
        await wide.send({"type": "ping", "pad": "\U0001f600" * 2000})
        assert await closed_with(wide) == 1009

        # A frame that announces more than the limit is refused on its header: the server
        # does not wait for (and buffer) the payload.
        announced = await open_socket(base, bearer)
        announced.connection.transport.write(_frame_header(limit + 1))
        assert await closed_with(announced) == 1009

        # At most 3 sockets per address may wait unauthenticated; a 4th is closed at once.
        waiting = [await open_socket(base, None) for _ in range(3)]
        fourth = await open_socket(base, None)
        assert await closed_with(fourth) == 4008
        # Authenticating frees a slot (the server lets go of it before it sends `ready`).
        await waiting[0].send({"type": "auth", "token": bearer})
        await waiting[0].expect("ready")
        late = await open_socket(base, bearer)
        await still_usable(late)
        for socket in (*waiting, late):
            await socket.close()
        flow.clinician.client.close()
        flow.supporter.client.close()


@SQLITE_ONLY
async def test_invalid_utf8_closes_1007_with_one_quiet_info_line(
    database_url: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # uvicorn configures its loggers (its own handler on stderr) when the server starts.
    with custom_world(database_url, tmp_path, ws_protocol_log_interval_seconds=3600) as world:
        capfd.readouterr()
        for _ in range(5):  # anyone can do this, before logging in
            socket = await open_socket(world.server.base_url, None)
            await socket.connection.send(b'{"type":"auth","token":"\xff\xfe"}', text=True)
            assert await closed_with(socket) == 1007
    out, err = capfd.readouterr()
    logs = out + err
    assert "Traceback" not in logs and "ERROR" not in logs, logs
    lines = [line for line in logs.splitlines() if "UTF-8" in line]
    assert len(lines) == 1, lines  # five sockets, one line
    assert "INFO" in lines[0] and "1007" in lines[0]


@SQLITE_ONLY
async def test_a_known_envelope_id_with_other_content_is_a_duplicate_id(
    world: World, flow: Flow
) -> None:
    session = flow.clinician.client.start_session(flow.room_id)
    envelope = session.encrypt(b"the first words")
    forged = dataclasses.replace(envelope, ciphertext=bytes(reversed(envelope.ciphertext)))
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    await alice.send({"type": "send", "envelope": envelope.encode().decode()})
    accepted = await alice.expect("accepted")
    await alice.send({"type": "send", "envelope": forged.encode().decode()})
    error = await alice.expect("error")
    assert error["code"] == "duplicate_id" and error["ref"] == envelope.message_id
    await alice.send({"type": "send", "envelope": envelope.encode().decode()})
    assert (await alice.expect("accepted"))["id"] == accepted["id"]  # identical: idempotent
    assert count(world, MailboxEntry) == 1 and count(world, SentMessage) == 1
    await alice.close()
