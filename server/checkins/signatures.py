"""The intake's request signature, as webhook providers do it (pure: no I/O, time passed in).

An incident system sends four headers with the JSON body:

    Peerhaven-Credential: <credential id>
    Peerhaven-Timestamp:  <Unix seconds>
    Peerhaven-Nonce:      <16-64 characters of [A-Za-z0-9_-], fresh for every request>
    Peerhaven-Signature:  v1=<hex HMAC-SHA256(secret, "<nonce>.<timestamp>." ‖ body)>

The key is the credential's secret exactly as shown (its UTF-8 bytes), so `openssl dgst -sha256
-hmac "$SECRET"` can compute it. The server refuses a timestamp outside the replay window and a
nonce it has seen within it; together they make each signed request usable once.
"""

from __future__ import annotations

import hmac
import re
import uuid
from dataclasses import dataclass
from hashlib import sha256

from server.errors import Unauthenticated

__all__ = [
    "CREDENTIAL_HEADER",
    "NONCE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SignedHeaders",
    "check",
    "parse_headers",
    "sign",
    "signature_header",
    "signed_bytes",
]

CREDENTIAL_HEADER = "Peerhaven-Credential"
TIMESTAMP_HEADER = "Peerhaven-Timestamp"
NONCE_HEADER = "Peerhaven-Nonce"
SIGNATURE_HEADER = "Peerhaven-Signature"

_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v1=([0-9a-f]{64})$")
# One answer for every way the signature can be wrong, so a caller learns nothing from it.
_REFUSED = "the request signature is missing, malformed, stale or wrong"


@dataclass(frozen=True)
class SignedHeaders:
    credential_id: uuid.UUID
    timestamp: int
    nonce: str
    signature: bytes


def signed_bytes(*, nonce: str, timestamp: int, body: bytes) -> bytes:
    return f"{nonce}.{timestamp}.".encode() + body


def sign(secret: str, *, nonce: str, timestamp: int, body: bytes) -> bytes:
    """The raw HMAC-SHA256 a request with these parts carries."""
    message = signed_bytes(nonce=nonce, timestamp=timestamp, body=body)
    return hmac.new(secret.encode(), message, sha256).digest()


def signature_header(secret: str, *, nonce: str, timestamp: int, body: bytes) -> str:
    return "v1=" + sign(secret, nonce=nonce, timestamp=timestamp, body=body).hex()


def parse_headers(headers: dict[str, str]) -> SignedHeaders:
    """The signed parts of a request (header names case-insensitive). Unauthenticated when any
    is missing or malformed; the message is the same for every case and quotes nothing."""
    lowered = {name.lower(): value for name, value in headers.items()}
    credential = lowered.get(CREDENTIAL_HEADER.lower(), "")
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    nonce = lowered.get(NONCE_HEADER.lower(), "")
    signature = _SIGNATURE.match(lowered.get(SIGNATURE_HEADER.lower(), ""))
    if not (_TIMESTAMP.match(timestamp) and _NONCE.match(nonce) and signature):
        raise Unauthenticated(_REFUSED)
    try:
        credential_id = uuid.UUID(credential)
    except ValueError:
        raise Unauthenticated(_REFUSED) from None
    return SignedHeaders(
        credential_id=credential_id,
        timestamp=int(timestamp),
        nonce=nonce,
        signature=bytes.fromhex(signature.group(1)),
    )


def check(secret: str, parts: SignedHeaders, *, body: bytes, now: float, window: int) -> None:
    """Unauthenticated unless the timestamp is within `window` seconds of `now` and the
    signature is the secret's over this body (compared in constant time)."""
    if abs(now - parts.timestamp) > window:
        raise Unauthenticated(_REFUSED)
    expected = sign(secret, nonce=parts.nonce, timestamp=parts.timestamp, body=body)
    if not hmac.compare_digest(expected, parts.signature):
        raise Unauthenticated(_REFUSED)
