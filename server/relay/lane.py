"""One socket's delivery lane: deliveries leave in seq order, without I/O.

Per recipient, seq numbers are 1, 2, 3… in commit order, so a socket can tell from a live
delivery's seq what it already sent, what comes next, and when something is missing (a publish
lost with Redis, or with a worker that died between its commit and its publish). The lane keeps
`position`: every entry of the account with seq ≤ position has been sent on this socket (or lies
before the `after` of the client's `sync`: the client has it).

At connect the lane is closed when older entries wait in the mailbox: the client is about to
`sync`, and live deliveries must not overtake that backlog (order per sender is a promise). The
first `sync` answer opens it. Without a backlog it is open from the start, at the cursor.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["DeliveryLane", "Verdict"]


class Verdict(Enum):
    SEND = "send"  # the next one: send it
    DROP = "drop"  # sent already (by a sync, or twice on the fast path)
    CATCH_UP = "catch_up"  # something before it is missing: read the mailbox from `position`


class DeliveryLane:
    def __init__(self, *, cursor: int, backlog: bool) -> None:
        self._cursor = cursor
        self.position: int | None = None if backlog else cursor

    @property
    def open(self) -> bool:
        return self.position is not None

    def offer(self, seq: int) -> Verdict:
        """What to do with a live delivery (only asked while the lane is open)."""
        assert self.position is not None, "a closed lane takes no live deliveries"
        if seq <= self.position:
            return Verdict.DROP
        if seq == self.position + 1:
            return Verdict.SEND
        return Verdict.CATCH_UP

    def sent(self, seq: int) -> None:
        """A delivery with `seq` went out, and (catch-up, sync) every held one before it."""
        if self.position is None or seq > self.position:
            self.position = seq

    def synced(self, after: int, last: int | None) -> None:
        """A `sync` from `after` was answered up to `last` (None: nothing was held after it).
        Everything up to the cursor at connect, `after` and `last` is now the client's."""
        self.position = max(self.position or 0, self._cursor, after, last or 0)
