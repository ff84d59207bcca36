"""The canary search itself: it must find every form it claims to look for."""

from __future__ import annotations

import base64
import json

from tests.integration.canary import leaks


def test_finds_plain_hex_and_base64_at_any_alignment() -> None:
    canary = "CANARY-3f9a1c7e5b2d4680"
    for prefix in (b"", b"a", b"ab", b"abc"):
        payload = prefix + canary.encode() + b" trailing words"
        assert leaks(base64.b64encode(payload), canary)
        assert leaks(base64.urlsafe_b64encode(payload).rstrip(b"="), canary)
        assert leaks(payload.hex().encode(), canary)
    assert leaks(json.dumps({"text": canary}).encode(), canary)
    assert not leaks(b"nothing to see here" * 100, canary)
