"""Client-side frames: what the client writes, and how server frames are read."""

from __future__ import annotations

import json

import pytest

from client.errors import FrameError
from client.frames import (
    Accepted,
    Deliver,
    ErrorFrame,
    Notify,
    Pong,
    Ready,
    Synced,
    ack_frame,
    auth_frame,
    parse_server_frame,
    ping_frame,
    send_frame,
    sync_frame,
)


def test_client_frames() -> None:
    assert json.loads(auth_frame("ph1_x")) == {"type": "auth", "token": "ph1_x"}
    assert json.loads(send_frame("{}")) == {"type": "send", "envelope": "{}"}
    assert json.loads(ack_frame(["a"])) == {"type": "ack", "ids": ["a"]}
    assert json.loads(sync_frame(9)) == {"type": "sync", "after": 9}
    assert json.loads(ping_frame()) == {"type": "ping"}
    for ids in ([], ["x"] * 501):
        with pytest.raises(ValueError):
            ack_frame(ids)


def test_server_frames() -> None:
    assert parse_server_frame('{"type":"ready","cursor":3}') == Ready(3)
    accepted = '{"type":"accepted","client_id":"abc","id":"9b1d","ts":"2026-01-01T00:00:00Z"}'
    assert parse_server_frame(accepted) == Accepted("abc", "2026-01-01T00:00:00Z")
    assert parse_server_frame('{"type":"accepted","id":"abc","ts":"t"}') == Accepted("abc", "t")
    deliver = parse_server_frame(
        '{"type":"deliver","id":"d","seq":4,"room":"r","sender":"s","envelope":"{}",'
        '"ts":"t","tag":"secret-ish","later":"ignored"}'
    )
    assert isinstance(deliver, Deliver) and deliver.seq == 4
    assert "secret-ish" not in repr(deliver)
    assert parse_server_frame('{"type":"synced","cursor":0}') == Synced(0)
    assert parse_server_frame('{"type":"notify","event":"room","data":{"room":"r"}}') == Notify(
        "room", {"room": "r"}
    )
    assert parse_server_frame('{"type":"pong"}') == Pong()
    assert parse_server_frame('{"type":"error","code":"malformed","message":"m"}') == ErrorFrame(
        "malformed", "m", None
    )


@pytest.mark.parametrize(
    "text",
    [
        "nope",
        "[]",
        '{"type":"what"}',
        '{"type":"ready"}',
        '{"type":"ready","cursor":-1}',
        '{"type":"ready","cursor":true}',
        '{"type":"deliver","id":"d","seq":1,"room":"r","sender":"s","envelope":"","ts":"t",'
        '"tag":"x"}',
        '{"type":"accepted","ts":"t"}',
    ],
)
def test_unusable_server_frames_raise_without_quoting_them(text: str) -> None:
    with pytest.raises(FrameError) as caught:
        parse_server_frame(text)
    assert "secret" not in str(caught.value)
