"""Message franking: verifiable abuse reports without plaintext on the server.

* Sender: ``franking_key = rng(32)``; ``commitment = HMAC-SHA256(franking_key, plaintext)``.
  The key travels inside the ciphertext, the commitment outside it, bound in the AD.
* Recipient: after decryption, recomputes the commitment and discards the message on mismatch.
* Server, on delivery: ``tag = server_tag(server_secret, commitment, room, sender, recipient,
  timestamp)`` and keeps it for the report window.
* Report: the recipient reveals plaintext + franking key (+ tag); :func:`verify_report`.
"""

from __future__ import annotations

from . import primitives as p
from .encoding import lp, u64
from .errors import FrankingError, InvalidKeyError, ReportError

__all__ = [
    "FRANKING_KEY_BYTES",
    "SERVER_TAG_DOMAIN",
    "commit",
    "new_franking_key",
    "server_tag",
    "server_tag_input",
    "verify_commitment",
    "verify_report",
]

FRANKING_KEY_BYTES = 32
SERVER_TAG_DOMAIN = b"peerhaven/v1/franking-tag"
_MIN_SERVER_SECRET_BYTES = 32


def new_franking_key(rng: p.Random = p.random_bytes) -> bytes:
    return rng(FRANKING_KEY_BYTES)


def commit(franking_key: bytes, plaintext: bytes) -> bytes:
    """``HMAC-SHA256(franking_key, plaintext)``."""
    if len(franking_key) != FRANKING_KEY_BYTES:
        raise InvalidKeyError("franking key must be 32 bytes")
    return p.hmac_sha256(franking_key, plaintext)


def verify_commitment(franking_key: bytes, plaintext: bytes, commitment: bytes) -> None:
    """Raises :class:`FrankingError` if ``commitment`` does not open to ``plaintext``."""
    if len(franking_key) != FRANKING_KEY_BYTES or not p.constant_time_equal(
        commit(franking_key, plaintext), commitment
    ):
        raise FrankingError()


def _text(name: str, value: str | bytes) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else value
    if not isinstance(data, bytes):
        raise TypeError(f"{name} must be str or bytes")
    return data


def server_tag_input(
    commitment: bytes,
    room: str | bytes,
    sender: str | bytes,
    recipient: str | bytes,
    timestamp: int,
) -> bytes:
    """``lp(DOMAIN) || lp(commitment) || lp(room) || lp(sender) || lp(recipient) ||
    u64be(timestamp)``; ``lp(x) = u32be(len(x)) || x``; strings as UTF-8."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise TypeError("timestamp must be an int (milliseconds since the Unix epoch)")
    if not 0 <= timestamp < 2**64:
        raise ValueError("timestamp out of range")
    return (
        lp(SERVER_TAG_DOMAIN)
        + lp(commitment)
        + lp(_text("room", room))
        + lp(_text("sender", sender))
        + lp(_text("recipient", recipient))
        + u64(timestamp)
    )


def server_tag(
    server_secret: bytes,
    commitment: bytes,
    room: str | bytes,
    sender: str | bytes,
    recipient: str | bytes,
    timestamp: int,
) -> bytes:
    """The 32-byte tag the server stores when it delivers an envelope."""
    if len(server_secret) < _MIN_SERVER_SECRET_BYTES:
        raise InvalidKeyError("server secret must be at least 32 bytes")
    if len(commitment) != 32:
        raise InvalidKeyError("commitment must be 32 bytes")
    return p.hmac_sha256(
        server_secret, server_tag_input(commitment, room, sender, recipient, timestamp)
    )


def verify_report(
    server_secret: bytes,
    *,
    plaintext: bytes,
    franking_key: bytes,
    tag: bytes,
    room: str | bytes,
    sender: str | bytes,
    recipient: str | bytes,
    timestamp: int,
) -> None:
    """Check a report: the revealed plaintext and key must reproduce the stored tag.

    ``room``, ``sender``, ``recipient`` and ``timestamp`` come from the server's own delivery
    record, never from the reporter. Raises :class:`ReportError`.
    """
    if len(franking_key) != FRANKING_KEY_BYTES:
        raise ReportError()
    expected = server_tag(
        server_secret, commit(franking_key, plaintext), room, sender, recipient, timestamp
    )
    if not p.constant_time_equal(expected, tag):
        raise ReportError()
