from __future__ import annotations

from collections.abc import Callable

import pytest

from crypto import FrankingError, ReportError, commit, server_tag, verify_commitment, verify_report
from crypto.franking import server_tag_input

from .conftest import ALICE, BOB, ROOM, Pair

SECRET = bytes(range(32))
TS = 1_700_000_000_123


def test_full_report_flow(make_pair: Callable[..., Pair]) -> None:
    alice, bob = make_pair().establish()
    envelope = alice.encrypt(b"abusive words")
    # The server sees only the envelope, and tags the commitment on delivery.
    tag = server_tag(SECRET, envelope.commitment, envelope.room, envelope.sender, BOB, TS)
    message = bob.decrypt(envelope)
    verify_report(
        SECRET,
        plaintext=message.plaintext,
        franking_key=message.franking_key,
        tag=tag,
        room=ROOM,
        sender=ALICE,
        recipient=BOB,
        timestamp=TS,
    )
    for change in (
        {"plaintext": b"other words"},
        {"franking_key": bytes(32)},
        {"franking_key": b"short"},
        {"tag": bytes(32)},
        {"sender": "someone-else"},
        {"recipient": ALICE},
        {"room": "room-2"},
        {"timestamp": TS + 1},
    ):
        args: dict[str, object] = {
            "plaintext": message.plaintext,
            "franking_key": message.franking_key,
            "tag": tag,
            "room": ROOM,
            "sender": ALICE,
            "recipient": BOB,
            "timestamp": TS,
        } | change
        with pytest.raises(ReportError):
            verify_report(SECRET, **args)  # type: ignore[arg-type]


def test_commitment() -> None:
    key = bytes(32)
    c = commit(key, b"text")
    verify_commitment(key, b"text", c)
    with pytest.raises(FrankingError):
        verify_commitment(key, b"texT", c)


def test_tag_encoding_is_unambiguous() -> None:
    a = server_tag_input(bytes(32), "ab", "c", "d", 1)
    b = server_tag_input(bytes(32), "a", "bc", "d", 1)
    assert a != b
    assert a.endswith((1).to_bytes(8, "big"))
    assert server_tag(SECRET, bytes(32), "ab", "c", "d", 1) != server_tag(
        SECRET, bytes(32), "a", "bc", "d", 1
    )
    assert server_tag(SECRET, bytes(32), b"r", b"s", b"t", 5) == server_tag(
        SECRET, bytes(32), "r", "s", "t", 5
    )


def test_tag_argument_checks() -> None:
    with pytest.raises(ValueError):
        server_tag(SECRET, bytes(32), "r", "s", "t", -1)
    with pytest.raises(TypeError):
        server_tag(SECRET, bytes(32), "r", "s", "t", 1.5)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="server secret"):
        server_tag(bytes(16), bytes(32), "r", "s", "t", 1)
