"""What the relay client must remember between runs, apart from the keys themselves.

* `cursor`: the last `synced` cursor; the next `sync` asks for what came after it.
* `seen`: delivery ids and envelope ids already handled (bounded, oldest forgotten first), so a
  delivery that arrives twice is acknowledged again but shown once.
* `outbox`: encoded envelopes the server has not `accepted` yet, in the order they were made;
  they are re-sent after every reconnect (the server de-duplicates on the envelope id).
* `received`: each received message with its franking key, commitment and server tag, so the
  recipient can later report it (docs/protocol.md §5). It holds plaintext: the ledger is sealed
  at rest like a keystore (:class:`client.keyfolder.KeyFolder`).
* `failures`: deliveries that could not be decrypted (acknowledged, kept for diagnosis).
* `rooms`: per room, the member ids and the peer's pseudonym.

A ledger is plain data with a JSON form; the I/O belongs to the caller.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from crypto import DecodeError
from crypto.encoding import b64decode, b64encode

__all__ = ["Failure", "FrankedMessage", "Ledger", "Outgoing", "RoomInfo"]

_VERSION = 1


_MAX_PLAINTEXT = 1 << 17  # above crypto's 64 KiB plaintext limit: a bound, not the rule


@dataclass(frozen=True)
class RoomInfo:
    me: str  # my member id in the room (my device id in its envelopes)
    peer: str  # the peer's member id
    handle: str  # the peer's pseudonym


@dataclass(frozen=True)
class Outgoing:
    room: str
    envelope: str = field(repr=False)  # the encoded envelope, re-sent as is


@dataclass(frozen=True, repr=False)
class FrankedMessage:
    """A received message and what a report needs (plaintext, franking key, tag)."""

    delivery_id: str
    message_id: str
    room: str
    sender: str
    ts: str
    plaintext: bytes
    franking_key: bytes
    commitment: bytes
    tag: str

    def __repr__(self) -> str:
        return f"FrankedMessage(delivery_id={self.delivery_id!r}, room={self.room!r})"

    def to_json(self) -> dict[str, str]:
        return {
            "delivery_id": self.delivery_id,
            "message_id": self.message_id,
            "room": self.room,
            "sender": self.sender,
            "ts": self.ts,
            "plaintext": b64encode(self.plaintext),
            "franking_key": b64encode(self.franking_key),
            "commitment": b64encode(self.commitment),
            "tag": self.tag,
        }

    @classmethod
    def from_json(cls, obj: dict[str, str]) -> FrankedMessage:
        return cls(
            delivery_id=obj["delivery_id"],
            message_id=obj["message_id"],
            room=obj["room"],
            sender=obj["sender"],
            ts=obj["ts"],
            plaintext=b64decode(obj["plaintext"], field="plaintext", max_length=_MAX_PLAINTEXT),
            franking_key=b64decode(obj["franking_key"], field="franking_key", max_length=32),
            commitment=b64decode(obj["commitment"], field="commitment", max_length=32),
            tag=obj["tag"],
        )


@dataclass(frozen=True)
class Failure:
    delivery_id: str
    room: str
    reason: str  # an exception class name, never message content


@dataclass
class Ledger:
    cursor: int = 0
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    outbox: dict[str, Outgoing] = field(default_factory=dict)
    received: list[FrankedMessage] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    rooms: dict[str, RoomInfo] = field(default_factory=dict)
    max_seen: int = 10_000
    max_kept: int = 5_000  # received messages and failures kept (oldest dropped first)

    def __repr__(self) -> str:
        return (
            f"Ledger(cursor={self.cursor}, seen={len(self.seen)}, outbox={len(self.outbox)}, "
            f"received={len(self.received)}, failures={len(self.failures)})"
        )

    def has_seen(self, key: str) -> bool:
        return key in self.seen

    def remember(self, key: str) -> None:
        self.seen[key] = None
        self.seen.move_to_end(key)
        while len(self.seen) > self.max_seen:
            self.seen.popitem(last=False)

    def keep(self, message: FrankedMessage) -> None:
        self.received.append(message)
        del self.received[: -self.max_kept]

    def record_failure(self, failure: Failure) -> None:
        self.failures.append(failure)
        del self.failures[: -self.max_kept]

    def to_json(self) -> dict[str, Any]:
        return {
            "v": _VERSION,
            "cursor": self.cursor,
            "seen": list(self.seen),
            "outbox": [
                {"id": key, "room": out.room, "envelope": out.envelope}
                for key, out in self.outbox.items()
            ],
            "received": [message.to_json() for message in self.received],
            "failures": [
                {"delivery_id": f.delivery_id, "room": f.room, "reason": f.reason}
                for f in self.failures
            ],
            "rooms": {
                room: {"me": info.me, "peer": info.peer, "handle": info.handle}
                for room, info in self.rooms.items()
            },
        }

    @classmethod
    def from_json(cls, obj: Any) -> Ledger:
        """Raises `ValueError` for anything that is not a ledger of this version."""
        try:
            if obj["v"] != _VERSION:
                raise ValueError("unsupported ledger version")
            return cls(
                cursor=int(obj["cursor"]),
                seen=OrderedDict((str(key), None) for key in obj["seen"]),
                outbox={
                    str(o["id"]): Outgoing(room=str(o["room"]), envelope=str(o["envelope"]))
                    for o in obj["outbox"]
                },
                received=[FrankedMessage.from_json(m) for m in obj["received"]],
                failures=[Failure(**f) for f in obj["failures"]],
                rooms={room: RoomInfo(**info) for room, info in obj["rooms"].items()},
            )
        except (KeyError, TypeError, AttributeError, DecodeError) as exc:
            raise ValueError(f"malformed ledger: {type(exc).__name__}") from None
