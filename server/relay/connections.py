"""Open WebSocket connections per account in this worker, for the per-account limit."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["ConnectionCounter"]


class ConnectionCounter:
    """Open connections per account in this worker, to enforce the per-account limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[uuid.UUID] = Counter()
        self._total = 0

    @property
    def total(self) -> int:
        """Open connections in this worker, all accounts together."""
        return self._total

    @property
    def accounts(self) -> int:
        """Accounts with at least one open connection in this worker."""
        return len(self._open)

    @contextmanager
    def hold(self, account_id: uuid.UUID) -> Iterator[bool]:
        if self._open[account_id] >= self.limit:
            yield False
            return
        self._open[account_id] += 1
        self._total += 1
        try:
            yield True
        finally:
            self._total -= 1
            self._open[account_id] -= 1
            if not self._open[account_id]:
                del self._open[account_id]
