"""The relay's JSON frames as the client sees them (docs/protocol.md §13).

Client frames are built by small functions that return the text to send. Server frames are
parsed by :func:`parse_server_frame` into frozen dataclasses; fields the client does not know
are ignored (the server may grow), but a frame without the fields the client relies on raises
:class:`FrameError`. Nothing here imports the server: the client speaks the wire format only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from client.errors import FrameError
from crypto.relay import MAX_ACK_IDS

__all__ = [
    "MAX_ACK_IDS",
    "Accepted",
    "Deliver",
    "ErrorFrame",
    "Notify",
    "Pong",
    "Ready",
    "ServerFrame",
    "Synced",
    "ack_frame",
    "auth_frame",
    "parse_server_frame",
    "ping_frame",
    "send_frame",
    "sync_frame",
]


def _dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"))


def auth_frame(token: str) -> str:
    return _dump({"type": "auth", "token": token})


def send_frame(envelope: str) -> str:
    return _dump({"type": "send", "envelope": envelope})


def ack_frame(ids: list[str]) -> str:
    if not 1 <= len(ids) <= MAX_ACK_IDS:
        raise ValueError(f"an ack carries 1 to {MAX_ACK_IDS} ids")
    return _dump({"type": "ack", "ids": ids})


def sync_frame(after: int) -> str:
    return _dump({"type": "sync", "after": after})


def ping_frame() -> str:
    return _dump({"type": "ping"})


@dataclass(frozen=True)
class Ready:
    cursor: int


@dataclass(frozen=True)
class Accepted:
    """`message_id` is the envelope id the client chose (the outbox key)."""

    message_id: str
    ts: str


@dataclass(frozen=True)
class Deliver:
    id: str
    seq: int
    room: str
    sender: str
    envelope: str = field(repr=False)
    ts: str
    tag: str = field(repr=False)


@dataclass(frozen=True)
class Synced:
    cursor: int


@dataclass(frozen=True)
class Notify:
    event: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Pong:
    pass


@dataclass(frozen=True)
class ErrorFrame:
    code: str
    message: str
    ref: str | None


ServerFrame = Ready | Accepted | Deliver | Synced | Notify | Pong | ErrorFrame


def _str(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise FrameError(f"{obj.get('type')}: field {name!r} must be a non-empty string")
    return value


def _int(obj: dict[str, Any], name: str) -> int:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FrameError(f"{obj.get('type')}: field {name!r} must be a non-negative integer")
    return value


def parse_server_frame(text: str | bytes) -> ServerFrame:
    """Parse one server frame. Raises :class:`FrameError` (never quoting the input)."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError("frame: not JSON") from None
    if not isinstance(obj, dict):
        raise FrameError("frame: not a JSON object")
    kind = obj.get("type")
    if kind == "ready":
        return Ready(cursor=_int(obj, "cursor"))
    if kind == "accepted":
        # docs/protocol.md names the envelope id `id`; server/relay/frames.py carries it as
        # `client_id` next to a server `id`. Prefer the explicit one.
        client_id = obj.get("client_id")
        message_id = client_id if isinstance(client_id, str) and client_id else _str(obj, "id")
        return Accepted(message_id=message_id, ts=str(obj.get("ts", "")))
    if kind == "deliver":
        return Deliver(
            id=_str(obj, "id"),
            seq=_int(obj, "seq"),
            room=_str(obj, "room"),
            sender=_str(obj, "sender"),
            envelope=_str(obj, "envelope"),
            ts=_str(obj, "ts"),
            tag=_str(obj, "tag"),
        )
    if kind == "synced":
        return Synced(cursor=_int(obj, "cursor"))
    if kind == "notify":
        data = obj.get("data", {})
        return Notify(event=_str(obj, "event"), data=data if isinstance(data, dict) else {})
    if kind == "pong":
        return Pong()
    if kind == "error":
        ref = obj.get("ref")
        return ErrorFrame(
            code=_str(obj, "code"),
            message=str(obj.get("message", "")),
            ref=ref if isinstance(ref, str) else None,
        )
    raise FrameError("frame: unknown type")
