"""A bounded fuzz of `Envelope.decode` (issue 12, item 18): whatever arrives, the decoder either
returns an envelope or raises `DecodeError`, its one documented error.

Inputs: arbitrary bytes and text, and structured mutations of the envelopes in
`crypto/vectors.json` (fields dropped, added, replaced by arbitrary JSON values, bytes flipped),
so most cases get past the JSON parser into the field checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import crypto
from crypto import DecodeError, Envelope

VECTORS = Path(crypto.__file__).with_name("vectors.json")
FUZZ = settings(max_examples=1000, deadline=None, database=None)


def _envelopes(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == "envelope" and isinstance(v, str)]
        return found + [e for v in node.values() for e in _envelopes(v)]
    if isinstance(node, list):
        return [e for v in node for e in _envelopes(v)]
    return []


SEEDS = sorted(set(_envelopes(json.loads(VECTORS.read_text()))))
# Text without lone surrogates; those have a test of their own below.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=8,
)


def _decodes_or_refuses(data: bytes | str) -> None:
    try:
        Envelope.decode(data)
    except DecodeError:
        pass


def test_the_seeds_are_real_envelopes() -> None:
    assert len(SEEDS) >= 3
    for seed in SEEDS:
        assert Envelope.decode(seed).encode() == seed.encode()


@FUZZ
@given(st.binary(max_size=400))
@example(b"")
@example(b"\xff\xfe{}")
@example(b"[" * 5000)
def test_arbitrary_bytes(data: bytes) -> None:
    _decodes_or_refuses(data)


@FUZZ
@given(TEXT)
def test_arbitrary_text(data: str) -> None:
    _decodes_or_refuses(data)


@FUZZ
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_fields(seed: str, data: st.DataObject) -> None:
    obj: dict[str, Any] = json.loads(seed)
    fields = sorted(obj)
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(["drop", "replace", "add", "nested"]))
        if action == "drop" and obj:
            obj.pop(data.draw(st.sampled_from(sorted(obj))), None)
        elif action == "replace":
            obj[data.draw(st.sampled_from(fields))] = data.draw(JSON_VALUES)
        elif action == "add":
            obj[data.draw(TEXT)] = data.draw(JSON_VALUES)
        elif isinstance(obj.get("x3dh"), dict):
            x3dh = obj["x3dh"]
            x3dh[data.draw(st.sampled_from([*sorted(x3dh), "extra"]))] = data.draw(JSON_VALUES)
    canonical = data.draw(st.booleans())
    text = json.dumps(obj, sort_keys=canonical, separators=(",", ":"), ensure_ascii=canonical)
    _decodes_or_refuses(text)
    _decodes_or_refuses(text.encode("utf-8"))


@FUZZ
@given(st.sampled_from(SEEDS), st.data())
def test_flipped_and_cut_bytes(seed: str, data: st.DataObject) -> None:
    raw = bytearray(seed.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(raw) - 1))
        raw[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    _decodes_or_refuses(bytes(raw[:cut]) if data.draw(st.booleans()) else bytes(raw))


@pytest.mark.parametrize(
    "text",
    ["\ud800", '{"v":1,"type":"\udfff"}', SEEDS[0].replace("room-7f3a", "room-\ud83d")],
    ids=["bare", "in-a-field", "in-a-real-envelope"],
)
def test_lone_surrogates_are_a_decode_error(text: str) -> None:
    # Issue 12 item 10: today the decoder raises UnicodeEncodeError here. The fuzz above found it;
    # the fix belongs to crypto/ (owned by another change), so this case fails until it lands.
    try:
        Envelope.decode(text)
    except DecodeError:
        return
    except Exception as exc:  # report exactly what escaped
        pytest.fail(f"Envelope.decode raised {type(exc).__name__}, not DecodeError (item 10)")
    pytest.fail("a lone surrogate decoded")
