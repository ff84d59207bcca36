"""`Throttle` on the `limits` memory storage: a moving window per key, hashed keys."""

from __future__ import annotations

import pytest

from server.platform.throttle import Throttle, ThrottleStorage


async def test_limit_then_wait_per_key() -> None:
    storage = ThrottleStorage(None, key_secret=b"k" * 32)
    throttle = Throttle(storage, name="t", limit=3, period=60)
    assert [await throttle.charge("a") for _ in range(3)] == [0, 0, 0]
    wait = await throttle.charge("a")
    assert 1 <= wait <= 60
    assert await throttle.charge("b") == 0  # keys are independent
    other = Throttle(storage, name="u", limit=1, period=60)
    assert await other.charge("a") == 0  # and so are names
    await storage.close()


def test_keys_are_hashed_with_the_secret() -> None:
    one, two = (
        ThrottleStorage(None, key_secret=b"1" * 32),
        ThrottleStorage(None, key_secret=b"2" * 32),
    )
    assert "127.0.0.1" not in one.hashed("/x|127.0.0.1")
    assert one.hashed("k") == one.hashed("k") != two.hashed("k")


def test_rejects_nonsense_configuration() -> None:
    with pytest.raises(ValueError):
        Throttle(ThrottleStorage(None, key_secret=b""), name="t", limit=0, period=1)
