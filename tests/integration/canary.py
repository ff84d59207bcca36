"""Search bytes for a canary string in every form a careless server could leak it in."""

from __future__ import annotations

import base64

__all__ = ["forms", "leaks"]


def _b64_cores(raw: bytes) -> list[bytes]:
    """Base64 text that appears whenever `raw` is encoded, whatever precedes it (3 alignments)."""
    cores = []
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + raw)
            # Drop the characters that depend on the bytes before and after.
            start = (shift * 4 + 2) // 3 + 1
            cores.append(text[start : len(text) - 4].rstrip(b"="))
    return [core for core in cores if len(core) >= 8]


def forms(canary: str) -> list[bytes]:
    raw = canary.encode()
    return [raw, raw.hex().encode(), raw.hex().upper().encode(), *_b64_cores(raw)]


def leaks(blob: bytes, canary: str) -> list[bytes]:
    """The forms of `canary` found in `blob` (empty when none)."""
    return [form for form in forms(canary) if form in blob]
