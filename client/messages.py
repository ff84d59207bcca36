"""The exact bytes a device signs (mirrors `server.accounts.statements` and `server.rooms.rooms`).

Registration and login: length-prefixed frames starting with a label. Room identities: a
`crypto.sign_with_domain` signature under `ROOM_IDENTITY_DOMAIN`. A unit test pins these to the
server's own functions.
"""

from __future__ import annotations

__all__ = [
    "LOGIN_LABEL",
    "REGISTER_LABEL",
    "ROOM_IDENTITY_DOMAIN",
    "login_message",
    "normalise_code",
    "registration_message",
    "room_identity_payload",
]

REGISTER_LABEL = b"peerhaven/register/v1"
LOGIN_LABEL = b"peerhaven/login/v1"
ROOM_IDENTITY_DOMAIN = b"peerhaven/v1/room-identity"


def _lp(part: bytes) -> bytes:
    return len(part).to_bytes(4, "big") + part


def normalise_code(code: str) -> str:
    """The form of an invite code that is signed: upper case, no separators."""
    return code.replace("-", "").replace(" ", "").upper()


def registration_message(*, origin: str, invite_code: str, identity_key: bytes) -> bytes:
    parts = (REGISTER_LABEL, origin.encode(), normalise_code(invite_code).encode(), identity_key)
    return b"".join(_lp(p) for p in parts)


def login_message(*, origin: str, nonce: bytes, identity_key: bytes) -> bytes:
    return b"".join(_lp(p) for p in (LOGIN_LABEL, origin.encode(), nonce, identity_key))


def room_identity_payload(*, origin: str, room_id: str, member_id: str, room_key: bytes) -> bytes:
    return _lp(origin.encode()) + _lp(room_id.encode()) + _lp(member_id.encode()) + room_key
