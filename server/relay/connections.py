"""Open WebSocket connections per key in this worker: per account (authenticated sockets) and
per client address (sockets that have not authenticated yet)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

__all__ = ["ConnectionCounter"]


class ConnectionCounter:
    """Open connections per key (an account id, a client address) in this worker, to enforce a
    limit. `hold(key)` yields whether the connection is admitted, and counts it while held."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[Hashable] = Counter()
        self._total = 0

    @property
    def total(self) -> int:
        """Open connections in this worker, all keys together."""
        return self._total

    @property
    def accounts(self) -> int:
        """Keys (accounts, addresses) with at least one open connection in this worker."""
        return len(self._open)

    @contextmanager
    def hold(self, key: Hashable) -> Iterator[bool]:
        if self._open[key] >= self.limit:
            yield False
            return
        self._open[key] += 1
        self._total += 1
        try:
            yield True
        finally:
            self._total -= 1
            self._open[key] -= 1
            if not self._open[key]:
                del self._open[key]
