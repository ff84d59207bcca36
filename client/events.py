"""What the relay client tells its user: one frozen dataclass per kind of event.

Events never carry keys; :class:`MessageReceived` carries the plaintext for the user's own
screen and keeps it out of its `repr`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Connected",
    "Event",
    "KeyChanged",
    "MessageAccepted",
    "MessageReceived",
    "Notification",
    "ProtocolViolation",
    "RoomNeeded",
    "SendRejected",
    "ServerError",
    "SyncDone",
    "Undecryptable",
]


@dataclass(frozen=True)
class Connected:
    cursor: int


@dataclass(frozen=True)
class SyncDone:
    cursor: int


@dataclass(frozen=True)
class MessageReceived:
    room: str
    sender: str
    handle: str
    message_id: str
    delivery_id: str
    ts: str
    plaintext: bytes = field(repr=False)


@dataclass(frozen=True)
class MessageAccepted:
    room: str
    message_id: str


@dataclass(frozen=True)
class SendRejected:
    """The server refused an envelope for good; it left the outbox."""

    room: str
    message_id: str
    code: str
    message: str


@dataclass(frozen=True)
class Undecryptable:
    room: str
    delivery_id: str
    reason: str


@dataclass(frozen=True)
class RoomNeeded:
    """A delivery for a room that is not open: call `open_room` or `room_unavailable`."""

    room: str


@dataclass(frozen=True)
class KeyChanged:
    """The peer's identity key in `room` is not the pinned one: a bundle or handshake with the
    new key was refused. Tell the user, calmly, to compare the safety number again; nothing is
    sent in the room until they accept the change (`accept_key_change`)."""

    room: str
    handle: str


@dataclass(frozen=True)
class Notification:
    event: str
    data: dict[str, Any]


@dataclass(frozen=True)
class ServerError:
    code: str
    message: str
    ref: str | None


@dataclass(frozen=True)
class ProtocolViolation:
    reason: str


Event = (
    Connected
    | SyncDone
    | MessageReceived
    | MessageAccepted
    | SendRejected
    | Undecryptable
    | RoomNeeded
    | KeyChanged
    | Notification
    | ServerError
    | ProtocolViolation
)
