"""Trust on first use of the peer's room identity key (docs/protocol.md §7.2).

A room has one peer, and the peer one room identity key. The first key a session is built
with (from the peer's bundle, or from the X3DH header of the peer's first message) is
*pinned*; every later bundle or handshake must carry the same key. One that does not is
refused with :class:`IdentityKeyChanged` before any session is made, and its key is kept as
*offered*: only the user can :meth:`PeerPin.accept` it (after comparing the safety number
again), which pins it and clears "verified". The server can propose a change; it cannot make
one silent, because the pin lives with the room's keys on the device.

Pure: the pin is part of :class:`crypto.keystore.Keystore`, persisted by the caller.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from .encoding import b64decode, b64encode
from .errors import DecodeError, IdentityKeyChanged

__all__ = ["PeerPin"]

_KEY_BYTES = 32


def _key(value: object, field: str) -> bytes:
    return b64decode(value, field=field, length=_KEY_BYTES, max_length=_KEY_BYTES)


@dataclass
class PeerPin:
    """The peer's pinned identity key in one room, whether the user verified it, and a refused
    different key waiting for the user's decision."""

    key: bytes | None = None
    verified: bool = False
    offered: bytes | None = None

    def __repr__(self) -> str:
        return (
            f"PeerPin(pinned={self.key is not None}, verified={self.verified}, "
            f"changed={self.offered is not None})"
        )

    @property
    def changed(self) -> bool:
        """A different key was refused and the user has not decided yet."""
        return self.offered is not None

    def check(self, identity_key: bytes) -> None:
        """Allow a session with `identity_key`, or raise :class:`IdentityKeyChanged`.

        Nothing is pinned yet: allowed (call :meth:`trust` once the session exists). A key
        other than the pinned one is recorded as :attr:`offered` and refused.
        """
        if self.key is None or hmac.compare_digest(identity_key, self.key):
            return
        self.offered = identity_key
        raise IdentityKeyChanged()

    def trust(self, identity_key: bytes) -> None:
        """Pin `identity_key` if nothing is pinned yet (the first session of the room)."""
        if self.key is None:
            self.key = identity_key

    def accept(self) -> bytes:
        """The user acknowledged the change: pin the offered key, no longer verified.

        Raises `ValueError` when no change is waiting."""
        if self.offered is None:
            raise ValueError("no key change to accept")
        self.key, self.offered, self.verified = self.offered, None, False
        return self.key

    def mark_verified(self) -> None:
        """The user compared the safety number of the pinned key out of band.

        Raises `ValueError` before a key is pinned or while a change waits for a decision."""
        if self.key is None or self.offered is not None:
            raise ValueError("nothing to verify: no pinned key, or a key change is waiting")
        self.verified = True

    def to_json(self) -> dict[str, Any]:
        return {
            "key": None if self.key is None else b64encode(self.key),
            "verified": self.verified,
            "offered": None if self.offered is None else b64encode(self.offered),
        }

    @classmethod
    def from_json(cls, obj: object) -> PeerPin:
        """Raises :class:`DecodeError`."""
        if not isinstance(obj, dict) or not isinstance(obj.get("verified"), bool):
            raise DecodeError("peer pin: malformed")
        key, offered = obj.get("key"), obj.get("offered")
        pin = cls(
            key=None if key is None else _key(key, "pin.key"),
            verified=obj["verified"],
            offered=None if offered is None else _key(offered, "pin.offered"),
        )
        if pin.key is None and (pin.verified or pin.offered is not None):
            raise DecodeError("peer pin: malformed")
        return pin
