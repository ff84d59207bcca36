"""The relay ledger: bounded memory of what was seen, and a JSON form that round-trips."""

from __future__ import annotations

import pytest

from client.ledger import Failure, FrankedMessage, Ledger, Outgoing, RoomInfo


def test_seen_ids_are_bounded_oldest_first() -> None:
    ledger = Ledger(max_seen=3)
    for key in "abcd":
        ledger.remember(key)
    ledger.remember("b")  # refreshed: now the newest
    ledger.remember("e")
    assert list(ledger.seen) == ["d", "b", "e"]
    assert ledger.has_seen("b") and not ledger.has_seen("a")


def test_json_round_trip_and_repr_without_content() -> None:
    ledger = Ledger(cursor=12)
    ledger.remember("d:1")
    ledger.outbox["m1"] = Outgoing(room="r", envelope="{...}")
    message = FrankedMessage(
        delivery_id="d1", message_id="m0", room="r", sender="s", ts="t",
        plaintext=b"private words", franking_key=b"k" * 32, commitment=b"c" * 32, tag="tg",
    )  # fmt: skip
    ledger.received.append(message)
    ledger.failures.append(Failure(delivery_id="d2", room="r", reason="DecryptionError"))
    ledger.rooms["r"] = RoomInfo(me="a", peer="b", handle="Calm Heron")
    again = Ledger.from_json(ledger.to_json())
    assert again.to_json() == ledger.to_json()
    assert again.received[0].plaintext == b"private words"
    assert "private" not in repr(ledger) and "private" not in repr(ledger.received[0])


@pytest.mark.parametrize("bad", [{}, {"v": 2}, {"v": 1, "cursor": 0}, []])
def test_malformed_ledgers_raise_value_error(bad: object) -> None:
    with pytest.raises(ValueError):
        Ledger.from_json(bad)
