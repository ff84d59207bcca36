"""RFC 9421 signing and verification, without a network: what verifies, and every flip that
must not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.errors import InvalidInput
from server.federation.node import NodeIdentity, fingerprint, normalise_fingerprint
from server.federation.signatures import SignatureRefused, sign_request, verify_request

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NODE = NodeIdentity("http://a.example", bytes(range(32)))
URL = "http://b.example/federation/v1/send/txn-1"
BODY = b'{"items":[]}'
WINDOW = timedelta(minutes=5)


def _verify(headers: dict[str, str], **changes: object):
    args: dict[str, object] = {
        "method": "PUT", "url": URL, "headers": headers, "body": BODY, "now": NOW,
        "window": WINDOW, "key_for": lambda k: NODE.public_key if k == NODE.fingerprint else None,
    }  # fmt: skip
    args.update(changes)
    return verify_request(**args)  # type: ignore[arg-type]


def _signed() -> dict[str, str]:
    return sign_request(NODE, method="PUT", url=URL, body=BODY, now=NOW)


def test_a_signature_covers_the_required_components_and_parameters() -> None:
    headers = _signed()
    signature_input = headers["Signature-Input"]
    for part in ('"@method"', '"@target-uri"', '"content-digest"', "created=", "nonce=",
                 f'keyid="{NODE.fingerprint}"', 'alg="ed25519"'):  # fmt: skip
        assert part in signature_input
    assert headers["Content-Digest"].startswith("sha-256=:")
    verified = _verify(headers)
    assert verified.keyid == NODE.fingerprint and verified.created == NOW


def test_each_nonce_is_fresh() -> None:
    assert _verify(_signed()).nonce != _verify(_signed()).nonce


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"method": "POST"}, "signature"),
        ({"url": URL + "2"}, "signature"),
        ({"body": BODY + b" "}, "digest"),
        ({"key_for": lambda _k: None}, "pinned"),
        ({"now": NOW + timedelta(minutes=6)}, "window"),
        ({"now": NOW - timedelta(minutes=6)}, "window"),
    ],
)
def test_a_change_is_refused(change: dict[str, object], word: str) -> None:
    with pytest.raises(SignatureRefused, match=word):
        _verify(_signed(), **change)


def test_no_signature_is_refused() -> None:
    with pytest.raises(SignatureRefused, match="signature"):
        _verify({"Content-Digest": _signed()["Content-Digest"]})


@given(st.integers(min_value=0, max_value=85), st.integers(min_value=1, max_value=255))
def test_a_flipped_signature_byte_is_refused(index: int, flip: int) -> None:
    headers = _signed()
    label, value = headers["Signature"].split("=:", 1)
    raw = bytearray(value.encode())
    raw[index] ^= flip
    headers["Signature"] = f"{label}=:{raw.decode(errors='replace')}"
    with pytest.raises(SignatureRefused):
        _verify(headers)


def test_a_fingerprint_is_sha256_hex_and_read_forgivingly() -> None:
    assert fingerprint(NODE.public_key) == NODE.fingerprint and len(NODE.fingerprint) == 64
    spaced = ":".join(NODE.fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    assert normalise_fingerprint(spaced) == NODE.fingerprint
    with pytest.raises(InvalidInput):
        normalise_fingerprint("abc")


def test_the_node_identity_never_shows_its_seed() -> None:
    assert bytes(range(32)).hex() not in repr(NODE)
