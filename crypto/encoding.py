"""Shared byte encodings: strict unpadded base64url, length prefixes, canonical JSON."""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
from typing import Any

from .errors import DecodeError

__all__ = [
    "b64decode",
    "b64encode",
    "canonical_json",
    "lp",
    "u32",
    "u64",
]

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64encode(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 §5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: object, *, field: str, length: int | None = None, max_length: int) -> bytes:
    """Strict unpadded base64url: canonical form only, exact or bounded decoded length.

    Raises :class:`DecodeError` naming ``field``.
    """
    if not isinstance(text, str):
        raise DecodeError(f"{field}: expected a base64url string")
    if len(text) > (max_length * 4 + 2) // 3 or not _B64URL.fullmatch(text):
        raise DecodeError(f"{field}: not unpadded base64url or too long")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise DecodeError(f"{field}: invalid base64url") from None
    if b64encode(data) != text:
        raise DecodeError(f"{field}: non-canonical base64url")
    if length is not None and len(data) != length:
        raise DecodeError(f"{field}: expected {length} bytes, got {len(data)}")
    if len(data) > max_length:
        raise DecodeError(f"{field}: longer than {max_length} bytes")
    return data


def u32(value: int) -> bytes:
    return struct.pack(">I", value)


def u64(value: int) -> bytes:
    return struct.pack(">Q", value)


def lp(data: bytes) -> bytes:
    """Length-prefixed field: 4-byte big-endian length, then the bytes."""
    return u32(len(data)) + data


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, ASCII only: the one byte form both clients produce."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")
