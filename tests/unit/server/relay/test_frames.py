"""Client frames are validated once at the edge; errors name the problem, never the input."""

from __future__ import annotations

import uuid

import pytest

from server.errors import MalformedFrame
from server.relay.frames import (
    Ack,
    Auth,
    ErrorCode,
    Ping,
    Send,
    Sync,
    parse_client_frame,
)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ('{"type":"auth","token":"ph1_x"}', Auth),
        ('{"type":"send","envelope":"{}"}', Send),
        (f'{{"type":"ack","ids":["{uuid.uuid4()}"]}}', Ack),
        ('{"type":"sync","after":7}', Sync),
        ('{"type":"sync"}', Sync),
        ('{"type":"ping"}', Ping),
    ],
)
def test_each_frame_type_parses(raw: str, kind: type) -> None:
    assert isinstance(parse_client_frame(raw), kind)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not json",
        "[]",
        "{}",
        '{"type":"shout"}',
        '{"type":"send"}',
        '{"type":"send","envelope":""}',
        '{"type":"send","envelope":"x","room":"r"}',
        '{"type":"ack","ids":[]}',
        '{"type":"ack","ids":"abc"}',
        '{"type":"sync","after":-1}',
        '{"type":"sync","after":"7"}',
        '{"type":"auth"}',
        '{"type":"auth","token":"' + "x" * 300 + '"}',
    ],
)
def test_malformed_frames_are_refused_without_echo(raw: str) -> None:
    with pytest.raises(MalformedFrame) as caught:
        parse_client_frame(raw)
    assert caught.value.code == ErrorCode.MALFORMED
    assert caught.value.detail
    assert "x" * 20 not in caught.value.detail


def test_a_secret_looking_value_is_not_echoed() -> None:
    with pytest.raises(MalformedFrame) as caught:
        parse_client_frame('{"type":"auth","token":12345678901234567890}')
    assert "12345678901234567890" not in caught.value.detail


@pytest.mark.parametrize(
    ("raw", "echo"),
    [
        ('{"type":"' + "Q" * 10_000 + '"}', "QQQQ"),  # a 10,000-character type
        ('{"type":5}', "5"),
        ('{"type":"send","envelope":"x","zzUnknownField":1}', "zzUnknownField"),
        ('{"type":"ack","ids":["zz-not-a-uuid"]}', "z"),  # pydantic quotes the bad character
        ('{"type":"sync","after":"zzz"}', "zzz"),
        ('{"type":"auth","token":"ph1_zzz","extraZZ":true}', "extraZZ"),
    ],
)
def test_no_error_message_quotes_the_frame(raw: str, echo: str) -> None:
    with pytest.raises(MalformedFrame) as caught:
        parse_client_frame(raw)
    detail = caught.value.detail
    assert echo not in detail, detail
    assert len(detail) < 200


@pytest.mark.parametrize("after", [2**63, 2**64, 10**30])
def test_a_sync_cursor_beyond_64_bits_is_malformed(after: int) -> None:
    with pytest.raises(MalformedFrame) as caught:
        parse_client_frame(f'{{"type":"sync","after":{after}}}')
    assert caught.value.detail == "sync.after: too large"
    assert parse_client_frame(f'{{"type":"sync","after":{2**63 - 1}}}') == Sync(
        type="sync", after=2**63 - 1
    )
