"""A bounded fuzz of `parse_client_frame` (issue 12, item 18): every input either parses into a
frame or raises `MalformedFrame`, the parser's one documented error.

Inputs: arbitrary bytes and text (lone surrogates included: a frame is text the server did not
write), and JSON objects shaped like each frame type with fields dropped, added or replaced by
arbitrary JSON values.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from server.errors import MalformedFrame
from server.relay.frames import parse_client_frame

FUZZ = settings(max_examples=1000, deadline=None, database=None)
ANY_TEXT = st.text(st.characters(exclude_categories=[]), max_size=300)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.uuids().map(str),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
SHAPES: dict[str, dict[str, Any]] = {
    "auth": {"token": "ph1_token"},
    "send": {"envelope": "{}"},
    "ack": {"ids": [str(uuid.UUID(int=1))]},
    "sync": {"after": 0},
    "ping": {},
}


def _parses_or_refuses(raw: str | bytes) -> None:
    try:
        parse_client_frame(raw)
    except MalformedFrame as error:
        assert error.detail


@FUZZ
@given(st.binary(max_size=400))
@example(b"")
@example(b"[" * 100_000)
@example(b"\xed\xa0\x80")  # an encoded surrogate: not UTF-8
def test_arbitrary_bytes(raw: bytes) -> None:
    _parses_or_refuses(raw)


@FUZZ
@given(ANY_TEXT)
@example("\ud800")
@example('{"type":"auth","token":"\udfff"}')
def test_arbitrary_text(raw: str) -> None:
    _parses_or_refuses(raw)


@FUZZ
@given(st.sampled_from(sorted(SHAPES)), st.data())
def test_frame_shaped_objects(kind: str, data: st.DataObject) -> None:
    frame: dict[str, Any] = {"type": kind, **SHAPES[kind]}
    for _ in range(data.draw(st.integers(0, 3))):
        action = data.draw(st.sampled_from(["drop", "replace", "add", "type"]))
        if action == "drop" and frame:
            frame.pop(data.draw(st.sampled_from(sorted(frame))))
        elif action == "replace" and frame:
            frame[data.draw(st.sampled_from(sorted(frame)))] = data.draw(JSON_VALUES)
        elif action == "add":
            frame[data.draw(st.text(max_size=12))] = data.draw(JSON_VALUES)
        else:
            frame["type"] = data.draw(st.sampled_from(sorted(SHAPES)) | st.text(max_size=20))
    text = json.dumps(frame, ensure_ascii=data.draw(st.booleans()))
    _parses_or_refuses(text)
    _parses_or_refuses(text.encode("utf-8", "surrogatepass"))
