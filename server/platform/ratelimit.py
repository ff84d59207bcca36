"""Token-bucket rate limiting: a pure core (time passed in) keyed by an arbitrary string.

For limits checked per connection on every event (the relay's frames per second), where a storage
round trip would cost more than the event. Limits across requests and workers are in
`server.platform.throttle` (the `limits` library, on Redis when configured).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["RateLimiter"]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """`capacity` attempts, refilled at `capacity / period` per second, per key.

    Keeps at most `max_keys` buckets (least recently used dropped), so a flood of distinct keys
    cannot grow memory without bound.
    """

    def __init__(self, *, capacity: int, period: float, max_keys: int = 100_000) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("capacity must be >= 1 and period > 0")
        self.capacity = capacity
        self.rate = capacity / period
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def acquire(self, key: str, *, now: float) -> float:
        """Take one token for `key`. Returns 0 when allowed, else seconds until a token is free."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.capacity), updated=now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(self.capacity), bucket.tokens + elapsed * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def retry_after(self, wait: float) -> int:
        """Whole seconds for a Retry-After header."""
        return max(1, math.ceil(wait))
