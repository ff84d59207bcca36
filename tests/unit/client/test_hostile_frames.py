"""The client survives any frame a hostile server sends (issue 12, item 10; Hypothesis).

`parse_server_frame` raises only `FrameError`; the relay machine turns whatever it is handed
into events (a `ProtocolViolation`, an `Undecryptable`, …) and never raises, and what it keeps
can still be written and read back. A JSON text frame may carry any string, lone surrogates
included (`"\\ud800"` is valid JSON), which is how an envelope used to escape as
`UnicodeEncodeError` from `Envelope.decode`.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from client.errors import FrameError
from client.events import Event, Undecryptable
from client.frames import parse_server_frame
from client.ledger import Ledger
from crypto.encoding import canonical_json

from .conftest import commit, make_pair, open_relay

PROPS = settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=60)
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**62, max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True) | ANY_TEXT
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)
# Strings Hypothesis rarely draws by itself, for the envelope field.
NASTY = st.sampled_from(["\ud800", '{"v":1,"room":"\udfff"}', "\x00", "é", "{" * 3000, ""])
TYPES = st.sampled_from(["ready", "accepted", "deliver", "synced", "notify", "pong", "error"])
FIELDS = ["id", "client_id", "seq", "room", "sender", "envelope", "ts", "tag", "cursor", "event",
          "data", "code", "message", "ref"]  # fmt: skip


@st.composite
def frames(draw: st.DrawFn, room: str, sender: str) -> str:
    """Raw text, or an object of a known type with any subset of fields set to anything; a
    `deliver` for the open room from the right sender half the time."""
    if draw(st.integers(0, 5)) == 0:
        return draw(ANY_TEXT | st.builds(json.dumps, JSON))
    obj: dict[str, Any] = {"type": draw(TYPES | ANY_TEXT)}
    if obj["type"] == "deliver" and draw(st.booleans()):
        envelope = draw(NASTY | ANY_TEXT)
        obj.update(id=draw(ANY_TEXT), seq=draw(st.integers(0, 2**70)), room=room, sender=sender,
                   envelope=envelope, ts="2026-11-26T08:00:00Z", tag="dGFn")  # fmt: skip
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=5)):
        obj[name] = draw(JSON)
    return json.dumps(obj, allow_nan=True)  # ensure_ascii: surrogates travel as \\uXXXX


@PROPS
@given(ANY_TEXT | st.binary(max_size=100) | st.builds(json.dumps, JSON))
@example('{"type":"deliver","id":"\\ud800"}')
def test_parse_server_frame_raises_only_frame_error(text: str | bytes) -> None:
    try:
        parse_server_frame(text)
    except FrameError:
        pass


@PROPS
@given(st.data())
def test_the_relay_survives_any_sequence_of_hostile_frames(data: st.DataObject) -> None:
    pair = make_pair()
    relay = pair.ann.relay
    sender = pair.sam.conversation.me
    for step in range(data.draw(st.integers(1, 6))):
        if step == 0 and data.draw(st.booleans()):
            open_relay(relay)
        relay.receive(data.draw(frames(pair.room, sender)))
        commit(relay)
        for event in relay.events_received():
            assert isinstance(event, get_args(Event))
    # What it kept can be sealed and read back (a crash at the next start is a crash too).
    wire = canonical_json(relay.ledger.to_json())
    assert Ledger.from_json(json.loads(wire)).cursor == relay.ledger.cursor


def test_a_lone_surrogate_in_a_delivered_envelope_is_undecryptable_not_a_crash() -> None:
    pair = make_pair()
    relay = pair.ann.relay
    open_relay(relay)
    commit(relay)
    relay.events_received()
    relay.receive(json.dumps({
        "type": "deliver", "id": "d1", "seq": 1, "room": pair.room,
        "sender": pair.sam.conversation.me, "envelope": '{"v":1,"room":"\ud800"}',
        "ts": "2026-11-26T08:00:00Z", "tag": "dGFn",
    }))  # fmt: skip
    (event,) = relay.events_received()
    assert event == Undecryptable(pair.room, "d1", "DecodeError")
    frames_out = commit(relay)
    assert json.loads(frames_out[-1]) == {"type": "ack", "ids": ["d1"]}
