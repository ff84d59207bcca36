"""What a transaction changed, announced once it commits.

A repository function that writes something another part of the process keeps in memory calls
`touch(session, topic, key)`; when (and only when) that session commits, every listener of
`topic` on the session's `Database` is called with the keys, in the event loop's thread. A
rollback forgets them. So a cache hears about a change only after the change is visible to a
fresh transaction, and never about one that did not happen.

Listeners are plain functions and must be quick (mark something stale, schedule a task); an
exception in one is logged and does not reach the committer, whose transaction is already done.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["SUPPORTER", "Changes", "Listener", "touch", "touch_supporter"]

log = logging.getLogger(__name__)

_KEY = "peerhaven.changes"
Listener = Callable[[frozenset[Any]], None]


# The topics. One is enough so far: a supporter whose matching data changed (profile,
# availability, caps, load, account state), which `server.support.roster` listens to.
SUPPORTER = "supporter"


def touch(session: AsyncSession | Session, topic: str, key: Hashable) -> None:
    """Announce `key` under `topic` when `session` commits its current transaction (call it
    after the write, inside that transaction)."""
    pending: dict[str, set[Hashable]] = session.info.setdefault(_KEY, {})
    pending.setdefault(topic, set()).add(key)


def touch_supporter(session: AsyncSession | Session, account_id: uuid.UUID) -> None:
    """Once `session` commits, every worker re-reads this account before matching again.

    Call it in any transaction that changes what matching knows about a supporter: their
    profiles, availability or caps, an offer to them (made, answered, expired, cancelled), a
    room they support (opened, closed, left), or their account (disabled, suspended).
    """
    touch(session, SUPPORTER, account_id)


class Changes:
    """The listeners of one `Database`, by topic."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        """Call `listener` after each commit that touched `topic`; returns the unsubscribe."""
        self._listeners.setdefault(topic, []).append(listener)
        return lambda: self._listeners.get(topic, []).remove(listener)

    def install(self, session_class: type[Session]) -> None:
        """Hook the commit and rollback events of `session_class` (one class per Database)."""
        event.listen(session_class, "after_commit", self._after_commit)
        event.listen(session_class, "after_soft_rollback", self._after_rollback)

    def _after_commit(self, session: Session) -> None:
        pending: dict[str, set[Hashable]] | None = session.info.pop(_KEY, None)
        for topic, keys in (pending or {}).items():
            for listener in list(self._listeners.get(topic, ())):
                try:
                    listener(frozenset(keys))
                except Exception:  # the commit is done: never fail the committer
                    log.exception("a listener of %s failed", topic)

    def _after_rollback(self, session: Session, previous: SessionTransaction) -> None:
        # A savepoint's rollback keeps them: the outer transaction may still commit (and what
        # the savepoint did is then announced needlessly, which costs a re-read, not a miss).
        if not previous.nested:
            session.info.pop(_KEY, None)
