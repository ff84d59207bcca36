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


def _month_of(column: Any, dialect: str) -> Any:
    """`YYYY-MM` of a UTC timestamp column, computed by the database. SQLite stores these
    columns as ISO text in UTC (`server.db.types`), so it is the first seven characters;
    PostgreSQL's are `timestamptz`, read in UTC whatever the session's time zone."""
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM", type_=sa.String)
    return sa.func.substr(column, 1, 7, type_=sa.String)


def _per_month(
    metric: int, column: Any, where: list[Any], edges: list[datetime], dialect: str
) -> Any:
    """(metric, month, count) rows, at most one per month: the database groups by the month of
    each row (one expression per row; a SUM(CASE …) per month cost 20 times more on SQLite),
    and only the completed months asked for are read."""
    month = _month_of(column, dialect)
    return (
        sa.select(sa.literal(metric).label("metric"), month.label("month"), sa.func.count())
        .where(*where, column >= edges[0], column < edges[-1])
        .group_by(month)
    )


async def monthly_summary(
    session: AsyncSession, *, institution_id: uuid.UUID, now: datetime, k: int, months: int = 12
) -> list[MonthCounts]:
    """The last `months` completed months of the institution, suppressed at `k`. The caller
    has authorised the reader (an admin of the institution)."""
    wanted = last_months(now, months=months)
    edges = _boundaries(wanted)
    dialect = session.get_bind().dialect.name
    offer = CheckinOffer
    mine = offer.institution_id == institution_id
    per_metric: dict[str, tuple[Any, list[Any]]] = {
        "events_received": (col(AdverseEventReceipt.received_at),
            [AdverseEventReceipt.institution_id == institution_id]),
        "checkins_offered": (col(offer.offered_at), [mine]),
        "checkins_accepted": (col(offer.responded_at),
            [mine, offer.status == CheckinStatus.ACCEPTED]),
        "conversations_held": (col(Room.created_at),
            [col(Room.request_id).in_(select(offer.request_id).where(
                mine, col(offer.request_id).is_not(None)))]),
        "teams_flagged": (col(TeamFlag.flagged_at), [TeamFlag.institution_id == institution_id]),
    }  # fmt: skip
    # One statement for all five (UNION ALL): one round trip instead of five.
    query = sa.union_all(*(
        _per_month(METRICS.index(name), column, where, edges, dialect)
        for name, (column, where) in per_metric.items()
    ))  # fmt: skip
    found = {(METRICS[metric], month): int(count)
             for metric, month, count in (await session.exec(query)).all()}  # type: ignore[call-overload]  # fmt: skip
    counted = {name: [found.get((name, f"{year:04d}-{month:02d}"), 0) for year, month in wanted]
               for name in METRICS}  # fmt: skip
    return [
        MonthCounts(
            month=f"{year:04d}-{month:02d}",
            counts={name: suppress(counted[name][i], k=k) for name in METRICS},
        )
        for i, (year, month) in enumerate(wanted)
    ]
