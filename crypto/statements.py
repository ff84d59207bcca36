"""The exact bytes a device signs to prove it holds an identity key (docs/protocol.md §12).

Three statements, each bound to the server's ``origin`` so a signature made for one deployment is
useless at another, and each starting with its own label so a signature made for one purpose can
never be replayed for another. Every field is length-prefixed (:func:`crypto.encoding.lp`), so no
two different inputs give the same bytes::

    registration   lp("peerhaven/register/v1") || lp(origin) || lp(normalised code) || lp(key)
    login          lp("peerhaven/login/v1")    || lp(origin) || lp(nonce)           || lp(key)
    room identity  lp("peerhaven/v1/room-identity")
                   || lp(origin) || lp(room id) || lp(member id) || room key (32, unprefixed)

The room-identity statement is :func:`crypto.keys.domain_message` under
:data:`ROOM_IDENTITY_DOMAIN`, i.e. what :func:`crypto.sign_with_domain` signs. Each function here
returns *exactly* the bytes passed to Ed25519: sign them with ``IdentityKeyPair.sign`` and check
them with :func:`verify_statement`. ``crypto/vectors.json`` (``statements``) pins every byte.
"""

from __future__ import annotations

from . import primitives as p
from .encoding import lp
from .keys import domain_message, verify_signature

__all__ = [
    "LOGIN_LABEL",
    "REGISTER_LABEL",
    "ROOM_IDENTITY_DOMAIN",
    "check_identity_key",
    "login_statement",
    "normalise_invite_code",
    "registration_statement",
    "room_identity_payload",
    "room_identity_statement",
    "verify_statement",
]

REGISTER_LABEL = b"peerhaven/register/v1"
LOGIN_LABEL = b"peerhaven/login/v1"
ROOM_IDENTITY_DOMAIN = b"peerhaven/v1/room-identity"


def normalise_invite_code(code: str) -> str:
    """The form of an invite code that is hashed and signed: spaces and hyphens removed, upper
    case. Only those two separators go (not tabs or other whitespace), so what a person types
    and what the server hashes cannot disagree. Checking the alphabet and length is the server's
    job; this function never raises."""
    return code.replace("-", "").replace(" ", "").upper()


def registration_statement(*, origin: str, invite_code: str, identity_key: bytes) -> bytes:
    """What a new device signs to redeem ``invite_code`` (normalised here, so a caller may pass
    the code as typed)."""
    parts = (REGISTER_LABEL, origin.encode(), normalise_invite_code(invite_code).encode())
    return b"".join(lp(part) for part in (*parts, identity_key))


def login_statement(*, origin: str, nonce: bytes, identity_key: bytes) -> bytes:
    """What a device signs to answer a login challenge with the server's ``nonce``."""
    return b"".join(lp(part) for part in (LOGIN_LABEL, origin.encode(), nonce, identity_key))


def room_identity_payload(*, origin: str, room_id: str, member_id: str, room_key: bytes) -> bytes:
    """The room-identity statement without its domain prefix: what
    ``crypto.sign_with_domain(device, ROOM_IDENTITY_DOMAIN, payload)`` takes. Prefer
    :func:`room_identity_statement`."""
    return lp(origin.encode()) + lp(room_id.encode()) + lp(member_id.encode()) + room_key


def room_identity_statement(*, origin: str, room_id: str, member_id: str, room_key: bytes) -> bytes:
    """What a device signs (with its *device* key) to register ``room_key`` as its identity in a
    room. ``room_id`` and ``member_id`` are the canonical text forms (``str(uuid)``)."""
    payload = room_identity_payload(
        origin=origin, room_id=room_id, member_id=member_id, room_key=room_key
    )
    return domain_message(ROOM_IDENTITY_DOMAIN, payload)


def verify_statement(identity_key: bytes, statement: bytes, signature: bytes) -> None:
    """Check an Ed25519 signature over a statement built above.

    Raises :class:`crypto.SignatureError` for a bad signature and equally for a key or signature
    of the wrong length or a key that is not a curve point: one failure, no detail.
    """
    verify_signature(identity_key, statement, signature)


def check_identity_key(identity_key: bytes) -> None:
    """Refuse a would-be Ed25519 identity key that is not 32 bytes or not a curve point (so it
    could never verify a signature, nor be used for X3DH). Raises
    :class:`crypto.InvalidKeyError`."""
    p.ed25519_public_to_x25519(identity_key)
