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

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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


def _key(moment: datetime) -> tuple[int, int]:
    moment = moment.astimezone(UTC)
    return moment.year, moment.month


async def _times(session: AsyncSession, query: Any) -> Counter[tuple[int, int]]:
    return Counter(_key(moment) for moment in (await session.exec(query)).all())


async def monthly_summary(
    session: AsyncSession, *, institution_id: uuid.UUID, now: datetime, k: int, months: int = 12
) -> list[MonthCounts]:
    """The last `months` completed months of the institution, suppressed at `k`. The caller
    has authorised the reader (an admin of the institution)."""
    wanted = last_months(now, months=months)
    start = datetime(wanted[0][0], wanted[0][1], 1, tzinfo=UTC)
    end = datetime(now.year, now.month, 1, tzinfo=UTC)

    def within(column: Any) -> tuple[Any, Any]:
        return col(column) >= start, col(column) < end

    offer = CheckinOffer
    counted: dict[str, Counter[tuple[int, int]]] = {
        "events_received": await _times(session, select(AdverseEventReceipt.received_at).where(
            AdverseEventReceipt.institution_id == institution_id,
            *within(AdverseEventReceipt.received_at),
        )),
        "checkins_offered": await _times(session, select(offer.offered_at).where(
            offer.institution_id == institution_id, *within(offer.offered_at),
        )),
        "checkins_accepted": await _times(session, select(offer.responded_at).where(
            offer.institution_id == institution_id, offer.status == CheckinStatus.ACCEPTED,
            *within(offer.responded_at),
        )),
        "conversations_held": await _times(session, select(Room.created_at).join(
            offer, col(offer.request_id) == col(Room.request_id)
        ).where(offer.institution_id == institution_id, *within(Room.created_at))),
        "teams_flagged": await _times(session, select(TeamFlag.flagged_at).where(
            TeamFlag.institution_id == institution_id, *within(TeamFlag.flagged_at),
        )),
    }  # fmt: skip
    return [
        MonthCounts(
            month=f"{year:04d}-{month:02d}",
            counts={name: suppress(counted[name][(year, month)], k=k) for name in METRICS},
        )
        for year, month in wanted
    ]
