from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.platform.ratelimit import RateLimiter


def test_capacity_then_refill() -> None:
    limiter = RateLimiter(capacity=3, period=60.0)
    assert [limiter.acquire("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("a", now=0.0)
    assert wait == pytest.approx(20.0)
    assert limiter.retry_after(wait) == 20
    assert limiter.acquire("b", now=0.0) == 0.0  # keys are independent
    assert limiter.acquire("a", now=20.0) == 0.0  # one token back after period / capacity


def test_bounded_number_of_keys() -> None:
    limiter = RateLimiter(capacity=1, period=60.0, max_keys=10)
    for i in range(100):
        limiter.acquire(str(i), now=0.0)
    assert len(limiter._buckets) == 10


def test_rejects_nonsense_configuration() -> None:
    with pytest.raises(ValueError):
        RateLimiter(capacity=0, period=1.0)


@given(st.lists(st.floats(min_value=0, max_value=1000), min_size=1, max_size=200))
def test_never_more_than_capacity_plus_refill(times: list[float]) -> None:
    limiter = RateLimiter(capacity=5, period=10.0)
    times.sort()
    allowed = sum(limiter.acquire("k", now=t) == 0.0 for t in times)
    assert allowed <= 5 + (times[-1] - times[0]) * 0.5 + 1e-9
