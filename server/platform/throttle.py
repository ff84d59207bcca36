"""Rate limits shared by every worker: the `limits` library, on Redis when there is one.

A `Throttle` allows `limit` attempts per `period` seconds per key in a moving window. Its
storage (`ThrottleStorage`) is Redis when `PEERHAVEN_REDIS_URL` is set, so every worker and
machine counts against the same window, and process memory otherwise. Keys (client addresses,
account ids) are stored only as keyed hashes, so Redis holds no address or id.

If Redis fails, an attempt is allowed and a warning logged: these limits curb abuse and load;
they are not what keeps accounts safe (login is a signature over a server nonce), and refusing
every login while Redis restarts would be the worse failure.

The relay's frames-per-second limit is not here: it is per connection and checked on every
frame, where a pure in-memory bucket (`server.platform.ratelimit.RateLimiter`) costs nothing
and a storage round trip would cost a lot.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

__all__ = ["Throttle", "ThrottleStorage"]

log = logging.getLogger(__name__)
NAMESPACE = "peerhaven-limit"


class ThrottleStorage:
    """Where every `Throttle` of an app counts: Redis for `redis_url`, else process memory.

    The `limits` storage is made on first use, inside the event loop (its memory backend
    starts a task); `close` releases the Redis connections.
    """

    def __init__(self, redis_url: str | None, *, key_secret: bytes) -> None:
        self.redis_url = redis_url
        self._key_secret = hashlib.blake2b(key_secret, person=b"peerhaven-rl").digest()
        self._storage: Storage | None = None
        self._strategy: MovingWindowRateLimiter | None = None

    @property
    def shared(self) -> bool:
        return self.redis_url is not None

    def strategy(self) -> MovingWindowRateLimiter:
        if self._strategy is None:
            if self.redis_url is None:
                self._storage = MemoryStorage()
            else:
                # redis-py (already the pub/sub client), not the library's default coredis.
                scheme, rest = self.redis_url.split("://", 1)
                self._storage = RedisStorage(
                    f"async+{scheme}://{rest}", implementation="redispy", wrap_exceptions=True
                )
            self._strategy = MovingWindowRateLimiter(self._storage)
        return self._strategy

    def hashed(self, key: str) -> str:
        digest = hashlib.blake2b(key.encode(), key=self._key_secret, digest_size=16)
        return digest.hexdigest()

    async def close(self) -> None:
        storage, self._storage, self._strategy = self._storage, None, None
        if isinstance(storage, RedisStorage):
            client = getattr(storage.bridge, "storage", None)
            closer = getattr(client, "aclose", None)
            if closer is not None:
                await closer()


class Throttle:
    """`limit` attempts per `period` seconds per key, counted in `storage` under `name`."""

    def __init__(self, storage: ThrottleStorage, *, name: str, limit: int, period: int) -> None:
        if limit < 1 or period < 1:
            raise ValueError("limit and period must be >= 1")
        self.storage = storage
        self.name = name
        self.item = RateLimitItemPerSecond(limit, period, namespace=NAMESPACE)

    def __repr__(self) -> str:
        return f"Throttle({self.name!r}, {self.item})"

    async def charge(self, key: str) -> int:
        """Count one attempt for `key`: 0 when allowed, else whole seconds to wait (>= 1)."""
        strategy = self.storage.strategy()
        hashed = self.storage.hashed(key)
        try:
            if await strategy.hit(self.item, self.name, hashed):
                return 0
            reset_at, _remaining = await strategy.get_window_stats(self.item, self.name, hashed)
        except StorageError as error:
            cause = type(error.storage_error).__name__
            log.warning("rate limit %s not checked: %s", self.name, cause)
            return 0
        return max(1, math.ceil(reset_at - time.time()))
