"""The relay transcript (crypto/vectors.json, `relay`) against crypto.relay and the server's
frame parser: every client frame is accepted, or refused with the code, as the file says.

The parser is imported from where it lives today (server/relay/frames.py); wherever the server
moves it, this test must keep passing. It relies only on what the relay's error edge needs: the
exception raised carries the WebSocket error ``code`` and a message that never quotes the input.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

import crypto
from crypto.relay import (
    FINAL_SEND_ERRORS,
    MAX_ACK_IDS,
    CloseCode,
    ErrorCode,
    is_final_send_error,
)
from server.relay.frames import parse_client_frame

RELAY: dict[str, Any] = json.loads(
    (pathlib.Path(crypto.__file__).parent / "vectors.json").read_text(encoding="utf-8")
)["relay"]
CLIENT_FRAMES: list[dict[str, Any]] = RELAY["client_frames"]


def test_close_codes() -> None:
    assert {c["name"]: c["code"] for c in RELAY["close_codes"]} == {
        "NORMAL": 1000,
        "GOING_AWAY": 1001,
        "INVALID_DATA": 1007,
        "TOO_BIG": 1009,
        "INTERNAL_ERROR": 1011,
        "UNAUTHENTICATED": 4001,
        "AUTH_TIMEOUT": 4002,
        "TOO_MANY_CONNECTIONS": 4008,
        "RATE_LIMITED": 4029,
    }
    assert [(c.name, int(c)) for c in CloseCode] == [
        (c["name"], c["code"]) for c in RELAY["close_codes"]
    ]


def test_error_codes_and_which_are_final() -> None:
    assert [str(c) for c in ErrorCode] == [c["code"] for c in RELAY["error_codes"]]
    final = {c["code"] for c in RELAY["error_codes"] if c["final"]}
    assert final == set(FINAL_SEND_ERRORS)
    assert final == {
        "malformed", "invalid", "forbidden", "not_found", "conflict",
        "unknown_room", "room_closed", "no_recipient", "duplicate_id", "invalid_envelope",
        "too_large",
    }  # fmt: skip
    assert not final & {"unavailable", "rate_limited", "unauthenticated"}
    assert not is_final_send_error("unavailable")
    assert not is_final_send_error("a_code_from_a_newer_server")
    assert RELAY["max_ack_ids"] == MAX_ACK_IDS == 500


@pytest.mark.parametrize("case", CLIENT_FRAMES, ids=[c["name"] for c in CLIENT_FRAMES])
def test_server_parser_follows_the_transcript(case: dict[str, Any]) -> None:
    if "parses_as" in case:
        assert parse_client_frame(case["frame"]).type == case["parses_as"]
        return
    with pytest.raises(Exception) as caught:  # whichever class the server names for it
        parse_client_frame(case["frame"])
    assert getattr(caught.value, "code", None) == case["error"], repr(caught.value)
    if len(case["frame"]) > 4:  # "{}" or "[]" may well appear in any sentence
        assert case["frame"] not in str(caught.value)


def test_every_client_frame_type_is_covered() -> None:
    accepted = {c["parses_as"] for c in CLIENT_FRAMES if "parses_as" in c}
    built = {c["parses_as"] for c in CLIENT_FRAMES if c.get("built")}
    assert accepted == built == {"auth", "send", "ack", "sync", "ping"}
    assert any("error" in c for c in CLIENT_FRAMES)
