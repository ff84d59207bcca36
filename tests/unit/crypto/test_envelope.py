"""The strict envelope decoder: every error has a test and a clear message."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import pytest

import crypto
from crypto import MAX_ENVELOPE_BYTES, DecodeError, Envelope, EnvelopeType
from crypto.encoding import b64encode, canonical_json
from crypto.rejections import input_value

from .conftest import Pair


@pytest.fixture
def prekey_json(make_pair: Callable[..., Pair]) -> dict[str, Any]:
    return make_pair().alice_session.encrypt(b"hello").to_json()


def encode(obj: Any) -> bytes:
    return canonical_json(obj)


def test_round_trip(prekey_json: dict[str, Any]) -> None:
    wire = encode(prekey_json)
    envelope = Envelope.decode(wire)
    assert envelope.type is EnvelopeType.PREKEY
    assert envelope.encode() == wire
    assert Envelope.decode(wire.decode()) == envelope


def test_canonical_layout(prekey_json: dict[str, Any]) -> None:
    wire = encode(prekey_json).decode()
    assert wire.startswith('{"commit":"') and " " not in wire
    assert list(json.loads(wire)) == sorted(json.loads(wire))


# The one rejection table (crypto/rejections.py), replayed here and by web/tests/envelope.test.mjs.
REJECTIONS: list[dict[str, Any]] = json.loads(
    (pathlib.Path(crypto.__file__).parent / "vectors.json").read_text(encoding="utf-8")
)["envelope_rejections"]


@pytest.mark.parametrize("case", REJECTIONS, ids=[c["name"] for c in REJECTIONS])
def test_decoder_rejects(case: dict[str, Any]) -> None:
    assert case["error"] == "DecodeError"
    with pytest.raises(DecodeError) as info:
        Envelope.decode(input_value(case["input"]))
    assert str(info.value) == case["message"]


def test_rejection_table_covers_every_kind_of_input() -> None:
    kinds = {
        next(iter(k for k in ("hex", "repeat", "text", "string") if k in c["input"]))
        for c in REJECTIONS
    }
    assert kinds == {"hex", "repeat", "text", "string"}
    assert len({c["name"] for c in REJECTIONS}) == len(REJECTIONS) >= 57
    assert any(
        c["message"] == f"envelope: larger than {MAX_ENVELOPE_BYTES} bytes" for c in REJECTIONS
    )


def test_oversized_ciphertext_rejected(prekey_json: dict[str, Any]) -> None:
    prekey_json["ct"] = b64encode(bytes(65536 + 49))
    with pytest.raises(DecodeError, match="ct: not unpadded base64url or too long"):
        Envelope.decode(encode(prekey_json))
