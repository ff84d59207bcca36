"""The safety net for ended sessions, once per worker for all its sockets.

Logout, revocation and account disable reach every socket through pub/sub
(`server.platform.sessions`). Pub/sub may lose that message, so every
`PEERHAVEN_WS_SESSION_CHECK_SECONDS` the worker asks the database which of its sockets' tokens still
grant access — one query per `CHUNK` tokens, not one per socket — and ends the sockets of the
others. A lost message therefore delays a close by at most one interval, never prevents it. (The
token's own expiry is each socket's timer, not this sweep.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime

from server.accounts import auth
from server.db.engine import Database

__all__ = ["SessionWatch"]

log = logging.getLogger(__name__)

CHUNK = 1000
"""Tokens per query: well inside SQLite's and PostgreSQL's bound-parameter limits."""


class SessionWatch:
    """Sockets by token in this worker, and the periodic check that ends those whose session has
    ended. The check runs only while some socket is watched (it starts with the first and stops
    with the last), so it needs no start or stop of its own."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime], every: float) -> None:
        self._db = db
        self._clock = clock
        self._every = every
        self._ends: dict[uuid.UUID, set[Callable[[], None]]] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def tokens(self) -> int:
        """Distinct tokens watched in this worker."""
        return len(self._ends)

    @contextlib.contextmanager
    def watch(self, token_id: uuid.UUID, end: Callable[[], None]) -> Iterator[None]:
        """While held, `end()` is called (once, without waiting) if the check finds `token_id`
        revoked, expired or its account disabled. `end` must not block."""
        self._ends.setdefault(token_id, set()).add(end)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="session-watch")
        try:
            yield
        finally:
            ends = self._ends.get(token_id)
            if ends is not None:
                ends.discard(end)
                if not ends:
                    del self._ends[token_id]
            if not self._ends and self._task is not None:
                self._task.cancel()  # nothing left to watch; the next socket starts it again
                self._task = None

    async def check(self) -> int:
        """Check every watched token now; end the sockets of those no longer active. Returns how
        many sockets were ended. If the database is away, the next interval tries again."""
        tokens = list(self._ends)
        ended = 0
        for start in range(0, len(tokens), CHUNK):
            chunk = tokens[start : start + CHUNK]
            try:
                async with self._db.session() as session:
                    active = await auth.active_tokens(session, token_ids=chunk, now=self._clock())
            except Exception as exc:
                log.warning("session check failed (%s)", type(exc).__name__)
                return ended
            for token_id in chunk:
                if token_id not in active:
                    for end in list(self._ends.get(token_id, ())):
                        end()
                        ended += 1
        return ended

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            await self.check()
