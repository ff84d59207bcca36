"""The Python client replays the relay transcript (crypto/vectors.json, `relay`): it builds the
client frames byte for byte, parses or refuses every server frame as written, and its delivery
state machine (`client.relay.Relay`) does what each scenario says, step by step."""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass
from typing import Any, cast

import pytest

import crypto
from client.conversation import Conversation
from client.errors import FrameError
from client.events import (
    Connected,
    Event,
    MessageAccepted,
    MessageReceived,
    Notification,
    ProtocolViolation,
    SendRejected,
    ServerError,
    SyncDone,
    Undecryptable,
)
from client.frames import (
    MAX_ACK_IDS,
    Accepted,
    Deliver,
    ErrorFrame,
    Notify,
    Pong,
    Ready,
    Synced,
    ack_frame,
    auth_frame,
    parse_server_frame,
    ping_frame,
    send_frame,
    sync_frame,
)
from client.ledger import Ledger, Outgoing
from client.relay import Relay
from crypto import Envelope

RELAY: dict[str, Any] = json.loads(
    (pathlib.Path(crypto.__file__).parent / "vectors.json").read_text(encoding="utf-8")
)["relay"]
SERVER_FRAMES: list[dict[str, Any]] = RELAY["server_frames"]
SCENARIOS: list[dict[str, Any]] = RELAY["scenarios"]


def test_client_builds_the_transcript_frames() -> None:
    built = {c["parses_as"]: c["frame"] for c in RELAY["client_frames"] if c.get("built")}
    auth, send, ack, sync = (json.loads(built[k]) for k in ("auth", "send", "ack", "sync"))
    assert auth_frame(auth["token"]) == built["auth"]
    assert send_frame(send["envelope"]) == built["send"]
    assert ack_frame(ack["ids"]) == built["ack"]
    assert sync_frame(sync["after"]) == built["sync"]
    assert ping_frame() == built["ping"]
    assert RELAY["max_ack_ids"] == MAX_ACK_IDS


def _wire(frame: object) -> dict[str, Any]:
    """The client's parsed frame in the transcript's wire names."""
    if isinstance(frame, Ready):
        return {"type": "ready", "cursor": frame.cursor}
    if isinstance(frame, Accepted):
        return {"type": "accepted", "client_id": frame.message_id, "ts": frame.ts}
    if isinstance(frame, Deliver):
        fields = ("id", "seq", "room", "sender", "envelope", "ts", "tag")
        return {"type": "deliver"} | {name: getattr(frame, name) for name in fields}
    if isinstance(frame, Synced):
        return {"type": "synced", "cursor": frame.cursor}
    if isinstance(frame, Notify):
        return {"type": "notify", "event": frame.event, "data": frame.data}
    if isinstance(frame, Pong):
        return {"type": "pong"}
    assert isinstance(frame, ErrorFrame)
    return {"type": "error", "code": frame.code, "message": frame.message, "ref": frame.ref}


@pytest.mark.parametrize("case", SERVER_FRAMES, ids=[c["name"] for c in SERVER_FRAMES])
def test_server_frames(case: dict[str, Any]) -> None:
    if case.get("refused"):
        with pytest.raises(FrameError) as caught:
            parse_server_frame(case["frame"])
        assert case["frame"] not in str(caught.value)
    else:
        assert _wire(parse_server_frame(case["frame"])) == case["parsed"]


@dataclass
class _Received:
    message_id: str
    sender: str
    plaintext: bytes
    franking_key: bytes = bytes(32)
    commitment: bytes = bytes(32)


@dataclass
class _Room:
    """Stands in for a `Conversation`: the scenarios are about delivery, not decryption."""

    room: str
    me: str
    peer: str
    handle: str = "Calm Heron"
    key_changed: bool = False

    def decrypt(self, envelope: Envelope) -> _Received:
        return _Received(envelope.message_id, envelope.sender, b"text")


def _event(event: Event) -> list[Any]:
    if isinstance(event, Connected):
        return ["connected", event.cursor]
    if isinstance(event, SyncDone):
        return ["synced", event.cursor]
    if isinstance(event, MessageAccepted):
        return ["accepted", event.message_id]
    if isinstance(event, SendRejected):
        return ["failed", event.message_id, event.code]
    if isinstance(event, ServerError):
        return ["error", event.code, event.ref]
    if isinstance(event, MessageReceived):
        return ["received", event.delivery_id, event.message_id]
    if isinstance(event, Undecryptable):
        return ["undecryptable", event.delivery_id, event.reason]
    if isinstance(event, Notification):
        return ["notify", event.event]
    assert isinstance(event, ProtocolViolation), event
    return ["violation"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any]) -> None:
    ledger = Ledger(cursor=scenario["cursor"])
    for entry in scenario["outbox"]:
        ledger.outbox[entry["id"]] = Outgoing(entry["room"], entry["envelope"])
    room = _Room(scenario["room"], scenario["me"], scenario["peer"])
    relay = Relay(ledger, [cast(Conversation, room)])
    for number, step in enumerate(scenario["steps"]):
        if "connect" in step:
            relay.connect(step["connect"])
        elif "receive" in step:
            relay.receive(step["receive"])
        else:
            relay.connection_lost()
        if relay.changes() is not None:  # what the shell does: persist, then write
            relay.persisted()
        where = f"step {number}"
        assert [json.loads(f) for f in relay.data_to_send()] == step["writes"], where
        assert [_event(e) for e in relay.events_received()] == step["events"], where
        if "outbox" in step:
            assert relay.pending == step["outbox"], where


def test_scenarios_cover_every_event_kind() -> None:
    kinds = {e[0] for s in SCENARIOS for step in s["steps"] for e in step["events"]}
    assert kinds == {
        "connected", "synced", "accepted", "failed", "error", "received", "undecryptable",
        "notify", "violation",
    }  # fmt: skip
