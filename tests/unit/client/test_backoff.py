"""Reconnect delays: doubling from the initial delay, capped, with jitter between 50 and 100 %."""

from __future__ import annotations

from client.connection import backoff_delay


def test_backoff_doubles_and_caps() -> None:
    full = [backoff_delay(n, initial=0.5, maximum=30, jitter=lambda: 1.0) for n in range(9)]
    assert full == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
    assert backoff_delay(3, initial=0.5, maximum=30, jitter=lambda: 0.0) == 2.0
    assert backoff_delay(10_000, maximum=5, jitter=lambda: 1.0) == 5
