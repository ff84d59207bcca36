"""The server's side of what devices sign: parse the request's fields, check the signatures.

The bytes are specified once, in `crypto.statements` (docs/protocol.md §12): every statement
starts with a domain-separation label, so a signature made for one purpose can never be replayed
for another, and binds the server's origin, so one made for one deployment is useless at another.
Everything here raises `server.errors` types only.
"""

from __future__ import annotations

import uuid

from crypto import DecodeError, InvalidKeyError, SignatureError, encoding, statements
from server.errors import InvalidInput, Unauthenticated

__all__ = [
    "b64decode",
    "parse_identity_key",
    "verify_login",
    "verify_registration",
    "verify_room_identity",
]

KEY_BYTES = 32
SIGNATURE_BYTES = 64
_MAX_FIELD_BYTES = 1 << 16


def b64decode(text: str, *, field: str, length: int | None = None) -> bytes:
    """Strict base64url (`crypto.encoding`; trailing padding tolerated, as the API always has).
    Raises `InvalidInput` naming the field, never quoting it."""
    try:
        return encoding.b64decode(
            text.rstrip("="), field=field, length=length, max_length=length or _MAX_FIELD_BYTES
        )
    except DecodeError as error:
        raise InvalidInput(str(error)) from None


def parse_identity_key(text: str) -> bytes:
    """Decode an Ed25519 public key and check that it is a valid curve point."""
    raw = b64decode(text, field="identity_key", length=KEY_BYTES)
    try:
        statements.check_identity_key(raw)
    except InvalidKeyError:
        raise InvalidInput("identity_key is not a valid Ed25519 public key") from None
    return raw


def _signed(identity_key: bytes, statement: bytes, signature_b64: str) -> bool:
    signature = b64decode(signature_b64, field="signature", length=SIGNATURE_BYTES)
    try:
        statements.verify_statement(identity_key, statement, signature)
    except SignatureError:
        return False
    return True


def verify_registration(
    *, origin: str, invite_code: str, identity_key: bytes, signature_b64: str
) -> None:
    """InvalidInput unless the device key signed this registration (code already normalised)."""
    statement = statements.registration_statement(
        origin=origin, invite_code=invite_code, identity_key=identity_key
    )
    if not _signed(identity_key, statement, signature_b64):
        raise InvalidInput("signature does not verify for this identity key and invite")


def verify_login(*, origin: str, nonce: bytes, identity_key: bytes, signature_b64: str) -> None:
    """Unauthenticated unless the device key signed this login challenge."""
    statement = statements.login_statement(origin=origin, nonce=nonce, identity_key=identity_key)
    if not _signed(identity_key, statement, signature_b64):
        raise Unauthenticated("login failed")


def verify_room_identity(
    *,
    device_key: bytes,
    origin: str,
    room_id: uuid.UUID,
    member_id: uuid.UUID,
    room_key: bytes,
    signature_b64: str,
) -> None:
    """InvalidInput unless the member's device key signed this room identity key."""
    statement = statements.room_identity_statement(
        origin=origin, room_id=str(room_id), member_id=str(member_id), room_key=room_key
    )
    if not _signed(device_key, statement, signature_b64):
        raise InvalidInput("signature does not verify with your device key for this room and key")
