"""Safety numbers: libsignal's numeric fingerprint over both identity keys.

For each side::

    h = u16be(version) || key || stable_id
    repeat iterations times:  h = SHA-512(h || key)
    digits = for i in 0..5: (big-endian integer of h[5i : 5i+5]) mod 100000, as 5 digits

The safety number is the two 30-digit strings concatenated, the smaller first, so both
devices show the same 60 digits; they are displayed as 12 groups of 5.

Peerhaven uses ``version = 0``, ``iterations = 5200``, ``key`` = the 32-byte Ed25519 identity
public key and ``stable_id`` = the device id (ASCII).
"""

from __future__ import annotations

import struct

from . import primitives as p

__all__ = [
    "FINGERPRINT_ITERATIONS",
    "FINGERPRINT_VERSION",
    "displayable_fingerprint",
    "format_safety_number",
    "safety_number",
]

FINGERPRINT_VERSION = 0
FINGERPRINT_ITERATIONS = 5200


def _hash(key: bytes, stable_id: bytes, iterations: int, version: int) -> bytes:
    digest = struct.pack(">H", version) + key + stable_id
    for _ in range(iterations):
        digest = p.sha512(digest + key)
    return digest


def displayable_fingerprint(
    key: bytes,
    stable_id: bytes,
    *,
    iterations: int = FINGERPRINT_ITERATIONS,
    version: int = FINGERPRINT_VERSION,
) -> str:
    """The 30-digit half of a safety number for one identity."""
    digest = _hash(key, stable_id, iterations, version)
    return "".join(
        f"{int.from_bytes(digest[i : i + 5], 'big') % 100000:05d}" for i in range(0, 30, 5)
    )


def safety_number(
    local_key: bytes,
    local_id: bytes | str,
    remote_key: bytes,
    remote_id: bytes | str,
    *,
    iterations: int = FINGERPRINT_ITERATIONS,
) -> str:
    """The 60-digit safety number; identical on both devices."""

    def ident(value: bytes | str) -> bytes:
        return value.encode("utf-8") if isinstance(value, str) else value

    local = displayable_fingerprint(local_key, ident(local_id), iterations=iterations)
    remote = displayable_fingerprint(remote_key, ident(remote_id), iterations=iterations)
    return local + remote if local < remote else remote + local


def format_safety_number(number: str) -> str:
    """``"12345 67890 …"``: 12 groups of 5 digits."""
    return " ".join(number[i : i + 5] for i in range(0, len(number), 5))
