"""The intake signature (server.checkins.signatures): known answer, header parsing, the replay
window, and any flipped byte of body, nonce or timestamp refused."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.checkins.signatures import check, parse_headers, sign, signature_header
from server.errors import Unauthenticated

SECRET = "phs_test-secret"
CREDENTIAL = "3f1c1d1e-0000-4000-8000-000000000001"
NONCE = "n0nce-0123456789ab"


def _headers(body: bytes, *, timestamp: int = 1_000_000, nonce: str = NONCE) -> dict[str, str]:
    return {
        "peerhaven-credential": CREDENTIAL,
        "Peerhaven-Timestamp": str(timestamp),
        "PEERHAVEN-NONCE": nonce,
        "Peerhaven-Signature": signature_header(SECRET, nonce=nonce, timestamp=timestamp,
                                                body=body),
    }  # fmt: skip


def test_known_answer_matches_openssl_style_hmac() -> None:
    expected = hmac.new(SECRET.encode(), f"{NONCE}.1000000.".encode() + b"{}", hashlib.sha256)
    assert sign(SECRET, nonce=NONCE, timestamp=1_000_000, body=b"{}") == expected.digest()
    header = signature_header(SECRET, nonce=NONCE, timestamp=1_000_000, body=b"{}")
    assert header == "v1=" + expected.hexdigest()


def test_a_good_signature_passes_within_the_window() -> None:
    parts = parse_headers(_headers(b"{}"))
    check(SECRET, parts, body=b"{}", now=1_000_000 + 299, window=300)
    with pytest.raises(Unauthenticated):
        check(SECRET, parts, body=b"{}", now=1_000_000 + 301, window=300)
    with pytest.raises(Unauthenticated):
        check(SECRET, parts, body=b"{}", now=1_000_000 - 301, window=300)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Peerhaven-Credential", "not-a-uuid"),
        ("Peerhaven-Timestamp", "-5"),
        ("Peerhaven-Timestamp", "1e9"),
        ("Peerhaven-Nonce", "short"),
        ("Peerhaven-Nonce", "has spaces in it ok"),
        ("Peerhaven-Signature", "v2=" + "0" * 64),
        ("Peerhaven-Signature", "v1=" + "0" * 63),
        ("Peerhaven-Signature", ""),
    ],
)
def test_malformed_headers_get_one_answer(name: str, value: str) -> None:
    headers = {k.lower(): v for k, v in _headers(b"{}").items()}
    headers[name.lower()] = value
    with pytest.raises(Unauthenticated) as refused:
        parse_headers(headers)
    assert value not in refused.value.detail or not value
    assert refused.value.detail == "the request signature is missing, malformed, stale or wrong"


@given(body=st.binary(min_size=1, max_size=200), data=st.data())
def test_any_flipped_byte_is_refused(body: bytes, data: st.DataObject) -> None:
    parts = parse_headers(_headers(body))
    at = data.draw(st.integers(0, len(body) - 1))
    flipped = body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :]
    with pytest.raises(Unauthenticated):
        check(SECRET, parts, body=flipped, now=1_000_000, window=300)
    other_nonce = parse_headers(_headers(body, nonce=NONCE[:-1] + "X"))
    moved = type(parts)(parts.credential_id, parts.timestamp, other_nonce.nonce, parts.signature)
    with pytest.raises(Unauthenticated):
        check(SECRET, moved, body=body, now=1_000_000, window=300)
    later = type(parts)(parts.credential_id, parts.timestamp + 1, parts.nonce, parts.signature)
    with pytest.raises(Unauthenticated):
        check(SECRET, later, body=body, now=1_000_000, window=300)
    check(SECRET, parts, body=body, now=1_000_000, window=300)
