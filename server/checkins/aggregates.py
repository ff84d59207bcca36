"""What an institution sees: monthly counts, each below k shown as "fewer than k".

Why these rules, each closing a way to undo the suppression:

* **Completed months only.** A month still running would change from one look to the next, and
  the difference between two looks dates a single event to the day.
* **Every count is bucketed by the time of the thing it counts** (an offer by when it was
  offered, an acceptance by when it was accepted), so a completed month never changes again.
* **0 is suppressed too** ("fewer than k" covers 0..k-1): an admin who posts one event naming
  one person, in an otherwise quiet month, would otherwise read "did they link?" off 0 or not.
* **One dimension, no totals, no other breakdowns.** A year's total beside eleven months gives
  the twelfth; a count by team or specialty beside the month gives its complement.

Counts: events received, check-ins offered, accepted, conversations held (rooms opened from an
accepted check-in), teams flagged. Nothing per person, no day or time.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.checkins.states import CheckinStatus
from server.db.models import AdverseEventReceipt, CheckinOffer, Room, TeamFlag

__all__ = ["METRICS", "MonthCounts", "Suppressed", "last_months", "monthly_summary", "suppress"]

METRICS = (
    "events_received",
    "checkins_offered",
    "checkins_accepted",
    "conversations_held",
    "teams_flagged",
)


@dataclass(frozen=True)
class Suppressed:
    """A count as shown: `value` is None when it was below k."""

    value: int | None
    display: str


@dataclass(frozen=True)
class MonthCounts:
    month: str  # YYYY-MM
    counts: dict[str, Suppressed]


def suppress(count: int, *, k: int) -> Suppressed:
    if count < k:
        return Suppressed(value=None, display=f"fewer than {k}")
    return Suppressed(value=count, display=str(count))


def last_months(now: datetime, *, months: int) -> list[tuple[int, int]]:
    """The `months` completed (year, month) pairs before `now`'s month, oldest first."""
    year, month = now.year, now.month
    found = []
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        found.append((year, month))
    return found[::-1]


def _boundaries(wanted: list[tuple[int, int]]) -> list[datetime]:
    """The first instant of each wanted month, and of the month after the last."""
    firsts = [datetime(year, month, 1, tzinfo=UTC) for year, month in wanted]
    year, month = wanted[-1]
    return [*firsts, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)]


async def _per_month(
    session: AsyncSession, column: Any, where: list[Any], edges: list[datetime]
) -> list[int]:
    """One row back, not one per event: a SUM(CASE …) per month, portable across backends."""
    buckets = [
        sa.func.coalesce(sa.func.sum(sa.case((sa.and_(column >= lo, column < hi), 1), else_=0)), 0)
        for lo, hi in itertools.pairwise(edges)
    ]
    query = sa.select(*buckets).where(*where, column >= edges[0], column < edges[-1])
    row = (await session.exec(query)).one()  # type: ignore[call-overload]
    return [int(value) for value in row]


async def monthly_summary(
    session: AsyncSession, *, institution_id: uuid.UUID, now: datetime, k: int, months: int = 12
) -> list[MonthCounts]:
    """The last `months` completed months of the institution, suppressed at `k`. The caller
    has authorised the reader (an admin of the institution)."""
    wanted = last_months(now, months=months)
    edges = _boundaries(wanted)
    offer = CheckinOffer
    counted: dict[str, list[int]] = {
        "events_received": await _per_month(session, col(AdverseEventReceipt.received_at),
            [AdverseEventReceipt.institution_id == institution_id], edges),
        "checkins_offered": await _per_month(session, col(offer.offered_at),
            [offer.institution_id == institution_id], edges),
        "checkins_accepted": await _per_month(session, col(offer.responded_at),
            [offer.institution_id == institution_id, offer.status == CheckinStatus.ACCEPTED],
            edges),
        "conversations_held": await _per_month(session, col(Room.created_at),
            [col(Room.request_id).in_(select(offer.request_id).where(
                offer.institution_id == institution_id,
                col(offer.request_id).is_not(None)))], edges),
        "teams_flagged": await _per_month(session, col(TeamFlag.flagged_at),
            [TeamFlag.institution_id == institution_id], edges),
    }  # fmt: skip
    return [
        MonthCounts(
            month=f"{year:04d}-{month:02d}",
            counts={name: suppress(counted[name][i], k=k) for name in METRICS},
        )
        for i, (year, month) in enumerate(wanted)
    ]
