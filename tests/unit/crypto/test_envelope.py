"""The strict envelope decoder: every error has a test and a clear message."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from crypto import MAX_ENVELOPE_BYTES, DecodeError, Envelope, EnvelopeType
from crypto.encoding import b64encode, canonical_json

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


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(obj: dict[str, Any]) -> None:
        target = obj
        *path, last = key.split(".")
        for part in path:
            target = target[part]
        target[last] = value

    return mutate


def _delete(key: str) -> Callable[[dict[str, Any]], None]:
    def mutate(obj: dict[str, Any]) -> None:
        target = obj
        *path, last = key.split(".")
        for part in path:
            target = target[part]
        del target[last]

    return mutate


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown version", _set("v", 2), "unsupported version 2"),
    ("version as string", _set("v", "1"), "unsupported version '1'"),
    ("version as bool", _set("v", True), "unsupported version True"),
    ("missing version", _delete("v"), "missing version field 'v'"),
    ("missing ciphertext", _delete("ct"), "missing fields ['ct']"),
    ("unknown field", _set("extra", 1), "unknown fields ['extra']"),
    ("bad type", _set("type", "hello"), "type: expected 'prekey' or 'message'"),
    ("prekey without x3dh", _delete("x3dh"), "x3dh: present exactly when type is 'prekey'"),
    ("message with x3dh", _set("type", "message"), "x3dh: present exactly when"),
    ("empty room", _set("room", ""), "room: expected 1-64 characters"),
    ("room too long", _set("room", "r" * 65), "room: expected 1-64 characters"),
    ("room with slash", _set("room", "a/b"), "room: expected 1-64 characters"),
    ("sender not a string", _set("sender", 5), "sender: expected 1-64 characters"),
    ("id with space", _set("id", "a b"), "id: expected 1-64 characters"),
    ("header not base64url", _set("header", "!!!!"), "header: not unpadded base64url"),
    ("header padded", _set("header", "AAAA===="), "header: not unpadded base64url"),
    ("header short", _set("header", b64encode(bytes(39))), "header: expected 40 bytes"),
    ("header non-canonical", _set("header", b64encode(bytes(40))[:-1] + "B"), "non-canonical"),
    ("ct too short", _set("ct", b64encode(bytes(15))), "ct: expected 16 to"),
    ("ct not string", _set("ct", 12), "ct: expected a base64url string"),
    ("commit short", _set("commit", b64encode(bytes(31))), "commit: expected 32 bytes"),
    ("x3dh not object", _set("x3dh", []), "x3dh: expected an object"),
    ("x3dh missing ek", _delete("x3dh.ek"), "x3dh: missing fields ['ek']"),
    ("x3dh unknown", _set("x3dh.zz", 1), "x3dh: unknown fields ['zz']"),
    ("x3dh ik short", _set("x3dh.ik", b64encode(bytes(31))), "x3dh.ik: expected 32 bytes"),
    ("x3dh spk negative", _set("x3dh.spk", -1), "x3dh.spk: expected an integer"),
    ("x3dh spk too big", _set("x3dh.spk", 2**32), "x3dh.spk: expected an integer"),
    ("x3dh opk bool", _set("x3dh.opk", False), "x3dh.opk: expected an integer"),
    ("x3dh spk float", _set("x3dh.spk", 1.5), "numbers must be integers"),
]


@pytest.mark.parametrize(("name", "mutate", "message"), CASES, ids=[c[0] for c in CASES])
def test_decoder_errors(
    prekey_json: dict[str, Any], name: str, mutate: Callable[[dict[str, Any]], None], message: str
) -> None:
    mutate(prekey_json)
    wire = json.dumps(prekey_json, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(DecodeError) as info:
        Envelope.decode(wire)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"", "not valid ASCII JSON"),
        (b"{", "not valid ASCII JSON"),
        (b"\xff", "not valid ASCII JSON"),
        ('{"v":1,"room":"é"}'.encode(), "not valid ASCII JSON"),
        (b"[]", "expected a JSON object"),
        (b"null", "expected a JSON object"),
        (b'{"v":NaN}', "numbers must be integers"),
        (b'{"v":1,"v":1}', "duplicate field 'v'"),
        (b"[" * 100_000, f"larger than {MAX_ENVELOPE_BYTES} bytes"),
        (b"[" * 5000, "not valid ASCII JSON"),
        (b'{"v":' + b"9" * 5000 + b"}", "not valid ASCII JSON"),
    ],
)
def test_decoder_errors_raw(wire: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as info:
        Envelope.decode(wire)
    assert message in str(info.value)


def test_non_canonical_whitespace_rejected(prekey_json: dict[str, Any]) -> None:
    wire = json.dumps(prekey_json, sort_keys=True).encode()
    with pytest.raises(DecodeError, match="not in canonical form"):
        Envelope.decode(wire)


def test_non_canonical_key_order_rejected(prekey_json: dict[str, Any]) -> None:
    wire = json.dumps(dict(reversed(list(prekey_json.items()))), separators=(",", ":"))
    with pytest.raises(DecodeError, match="not in canonical form"):
        Envelope.decode(wire)


def test_oversized_ciphertext_rejected(prekey_json: dict[str, Any]) -> None:
    prekey_json["ct"] = b64encode(bytes(65536 + 49))
    with pytest.raises(DecodeError, match="ct: not unpadded base64url or too long"):
        Envelope.decode(encode(prekey_json))
