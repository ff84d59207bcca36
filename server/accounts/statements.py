"""What a device signs to register and to log in, and how the server checks it.

Every signed message starts with a domain-separation label, so a signature made for one purpose
can never be replayed for another; both bind the server's origin, so a signature made for one
deployment is useless at another. The exact bytes are specified in docs/protocol.md.
"""

from __future__ import annotations

import base64
import binascii

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from server.errors import InvalidInput, Unauthenticated

__all__ = [
    "LOGIN_LABEL",
    "REGISTER_LABEL",
    "b64decode",
    "b64encode",
    "login_message",
    "parse_identity_key",
    "registration_message",
    "verify_login",
    "verify_registration",
]

REGISTER_LABEL = b"peerhaven/register/v1"
LOGIN_LABEL = b"peerhaven/login/v1"
KEY_BYTES = 32
SIGNATURE_BYTES = 64


def b64encode(raw: bytes) -> str:
    """base64url without padding, the encoding of every binary field in the API."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64decode(text: str, *, field: str, length: int | None = None) -> bytes:
    """Strict base64url (padding optional). Raises `InvalidInput` naming the field."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{field} is not valid base64url") from None
    if b64encode(raw) != text.rstrip("="):
        raise InvalidInput(f"{field} is not canonical base64url")
    if length is not None and len(raw) != length:
        raise InvalidInput(f"{field} must be {length} bytes, got {len(raw)}")
    return raw


def _frame(*parts: bytes) -> bytes:
    # Length-prefixed, so no two different inputs give the same bytes.
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def registration_message(*, origin: str, invite_code: str, identity_key: bytes) -> bytes:
    return _frame(REGISTER_LABEL, origin.encode(), invite_code.encode(), identity_key)


def login_message(*, origin: str, nonce: bytes, identity_key: bytes) -> bytes:
    return _frame(LOGIN_LABEL, origin.encode(), nonce, identity_key)


def parse_identity_key(text: str) -> bytes:
    """Decode an Ed25519 public key and check that it is a valid curve point."""
    raw = b64decode(text, field="identity_key", length=KEY_BYTES)
    try:
        VerifyKey(raw).to_curve25519_public_key()
    except Exception:
        raise InvalidInput("identity_key is not a valid Ed25519 public key") from None
    return raw


def _verify(identity_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        VerifyKey(identity_key).verify(message, signature)
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


def verify_registration(
    *, origin: str, invite_code: str, identity_key: bytes, signature_b64: str
) -> None:
    signature = b64decode(signature_b64, field="signature", length=SIGNATURE_BYTES)
    message = registration_message(
        origin=origin, invite_code=invite_code, identity_key=identity_key
    )
    if not _verify(identity_key, message, signature):
        raise InvalidInput("signature does not verify for this identity key and invite")


def verify_login(*, origin: str, nonce: bytes, identity_key: bytes, signature_b64: str) -> None:
    signature = b64decode(signature_b64, field="signature", length=SIGNATURE_BYTES)
    message = login_message(origin=origin, nonce=nonce, identity_key=identity_key)
    if not _verify(identity_key, message, signature):
        raise Unauthenticated("login failed")
