"""Check-in offers: scheduled when an event or a team flag names a linked clinician, offered by
the sweeper when due (exactly once), answered by the clinician alone.

"Talk to a peer" opens a support request (topic `adverse-event`, urgency `soon`) through
`server.support.requests` and hands it to the matchmaker; "Not now" brings the offer back once,
after `checkin_reminder_seconds`; "No thanks" (or "Not now" after the reminder) ends it.
Functions taking a session never commit; `fire_due` and `accept` own their transactions.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.vocabulary import Topic, Urgency
from server.checkins.states import CHECKIN, DUE, CheckinReason, CheckinStatus
from server.config import Settings
from server.db.engine import Database
from server.db.models import Account, CheckinOffer, StaffLink, table_of
from server.errors import Conflict, NotFound
from server.platform.notify import SILENT, Notifier
from server.support import matchmaker, pool, requests

__all__ = [
    "OPEN",
    "accept",
    "decline",
    "fire_due",
    "get_own",
    "message",
    "schedule",
    "schedule_staff",
    "snooze",
    "visible_for",
]

log = logging.getLogger(__name__)
_S = CheckinStatus
OPEN = frozenset({_S.SCHEDULED, _S.OFFERED, _S.SNOOZED})
_BATCH = 500


_TEAM_TEXT = (
    "Your team has had a demanding stretch. If it would help to talk it through with a trained "
    "peer from another hospital, confidentially, we can arrange it."
)
_EVENT_TEXT = (
    "After the event your institution reported{when}: if it would help to talk with a trained "
    "peer from another hospital, confidentially, we can arrange it."
)


def message(offer: CheckinOffer) -> str:
    """The neutral words the clinician sees: no event detail, nothing the institution wrote."""
    if offer.reason == CheckinReason.TEAM:
        return _TEAM_TEXT
    when = f" on {offer.event_date.day} {offer.event_date:%B}" if offer.event_date else ""
    return _EVENT_TEXT.format(when=when)


def _scheduled_rows(account_ids: Iterable[uuid.UUID], *, institution_id: uuid.UUID,
                    reason: CheckinReason, event_date: date | None, due_at: datetime,
                    now: datetime) -> list[dict[str, object]]:  # fmt: skip
    return [
        {"id": uuid.uuid4(), "account_id": account_id, "institution_id": institution_id,
         "reason": reason.value, "event_date": event_date, "status": _S.SCHEDULED.value,
         "due_at": due_at, "reminded": False, "created_at": now}
        for account_id in sorted(account_ids)
    ]  # fmt: skip


async def _insert_scheduled(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    if rows:
        # Core executemany: one cached statement, no ORM objects built per row. A clinician an
        # event racing this one has just scheduled is skipped (one open check-in each).
        connection = await session.connection()
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        await connection.execute(insert(table_of(CheckinOffer)).on_conflict_do_nothing(), rows)


@functools.cache
def _linked_without_open_query() -> sa.Select[Any]:
    links, offers = table_of(StaffLink), table_of(CheckinOffer)
    return sa.select(links.c.account_id).where(
        links.c.institution_id == sa.bindparam("institution_id"),
        links.c.staff_hash.in_(sa.bindparam("staff_hashes", expanding=True)),
        ~sa.exists().where(
            offers.c.account_id == links.c.account_id,
            offers.c.status.in_([status.value for status in OPEN]),
        ),
    )


async def schedule(
    session: AsyncSession,
    *,
    account_ids: Iterable[uuid.UUID],
    institution_id: uuid.UUID,
    reason: CheckinReason,
    event_date: date | None,
    due_at: datetime,
    now: datetime,
) -> int:
    """A `scheduled` check-in for each account that has none open (one at a time is enough:
    several events in a week should not mean several knocks on the door). Returns how many."""
    wanted = set(account_ids)
    if not wanted:
        return 0
    busy = await session.exec(
        select(CheckinOffer.account_id).where(
            col(CheckinOffer.account_id).in_(wanted), col(CheckinOffer.status).in_(OPEN)
        )
    )
    rows = _scheduled_rows(
        wanted - set(busy.all()), institution_id=institution_id, reason=reason,
        event_date=event_date, due_at=due_at, now=now,
    )  # fmt: skip
    await _insert_scheduled(session, rows)
    return len(rows)


async def schedule_staff(
    session: AsyncSession,
    *,
    staff_hashes: Iterable[bytes],
    institution_id: uuid.UUID,
    reason: CheckinReason,
    event_date: date | None,
    due_at: datetime,
    now: datetime,
) -> int:
    """As `schedule`, for the clinicians linked at `institution_id` under any of these keyed
    staff hashes (`CheckinKeys.staff_hash`): one query finds those with no open check-in, one
    insert schedules them. Hashes that match no link leave nothing. Returns how many."""
    hashes = list(set(staff_hashes))
    if not hashes:
        return 0
    connection = await session.connection()
    found = await connection.execute(
        _linked_without_open_query(), {"institution_id": institution_id, "staff_hashes": hashes}
    )
    rows = _scheduled_rows(found.scalars(), institution_id=institution_id, reason=reason,
                           event_date=event_date, due_at=due_at, now=now)  # fmt: skip
    await _insert_scheduled(session, rows)
    return len(rows)


async def _move_due(session: AsyncSession, old: CheckinStatus, *, now: datetime) -> list[uuid.UUID]:
    due = await session.exec(
        select(CheckinOffer.id)
        .where(col(CheckinOffer.status) == old, col(CheckinOffer.due_at) <= now)
        .order_by(col(CheckinOffer.due_at))
        .limit(_BATCH)
    )
    ids = list(due.all())
    if not ids:
        return []
    values: dict[str, object] = {"status": CHECKIN(old, _S.OFFERED).value}
    if old is _S.SCHEDULED:
        values["offered_at"] = now
    else:
        values["reminded"] = True
    # Guarded by the old status: a concurrent sweeper's rows are not returned twice.
    moved = await session.exec(
        sa.update(CheckinOffer)
        .where(col(CheckinOffer.id).in_(ids), col(CheckinOffer.status) == old)
        .values(**values)
        .returning(col(CheckinOffer.account_id))
    )
    return list(moved.scalars().all())


async def fire_due(db: Database, *, now: datetime, notify: Notifier = SILENT) -> int:
    """Offer every due check-in (and every due reminder), exactly once, then tell each
    clinician's sockets. Returns how many were offered."""
    told = 0
    for old in sorted(DUE):
        async with db.session() as session:
            accounts = await _move_due(session, old, now=now)
            await session.commit()
        for account_id in accounts:
            await notify(account_id, "checkin")
        told += len(accounts)
    if told:
        log.info("check-ins: %s offered or reminded", told)
    return told


async def visible_for(session: AsyncSession, *, account: Account) -> list[CheckinOffer]:
    """The caller's check-ins waiting for an answer (scheduled ones are not shown yet)."""
    query = (
        select(CheckinOffer)
        .where(CheckinOffer.account_id == account.id, CheckinOffer.status == _S.OFFERED)
        .order_by(col(CheckinOffer.offered_at))
    )
    return list((await session.exec(query)).all())


async def get_own(session: AsyncSession, *, account: Account, offer_id: uuid.UUID) -> CheckinOffer:
    """The caller's check-in; NotFound for anyone else's, and for one not offered yet."""
    offer = await session.get(CheckinOffer, offer_id)
    if offer is None or offer.account_id != account.id or offer.status == _S.SCHEDULED:
        raise NotFound("no such check-in")
    return offer


async def _answer(
    session: AsyncSession, offer: CheckinOffer, new: CheckinStatus, **values: object
) -> CheckinOffer:
    old = CheckinStatus(offer.status)
    if old is not _S.OFFERED:
        raise Conflict(f"the check-in is {old.value} and cannot be answered now")
    updated = await session.exec(
        sa.update(CheckinOffer)
        .where(col(CheckinOffer.id) == offer.id, col(CheckinOffer.status) == old)
        .values(status=CHECKIN(old, new).value, **values)
    )
    if updated.rowcount != 1:
        raise Conflict("the check-in was answered meanwhile")
    await session.refresh(offer)
    return offer


async def snooze(
    session: AsyncSession, *, account: Account, offer_id: uuid.UUID, now: datetime,
    reminder: timedelta,
) -> CheckinOffer:  # fmt: skip
    """ "Not now": back once after `reminder`; after the reminder it is a "No thanks"."""
    offer = await get_own(session, account=account, offer_id=offer_id)
    if offer.reminded:
        return await _answer(session, offer, _S.DECLINED, responded_at=now)
    return await _answer(session, offer, _S.SNOOZED, due_at=now + reminder)


async def decline(
    session: AsyncSession, *, account: Account, offer_id: uuid.UUID, now: datetime
) -> CheckinOffer:
    offer = await get_own(session, account=account, offer_id=offer_id)
    return await _answer(session, offer, _S.DECLINED, responded_at=now)


async def accept(
    db: Database,
    *,
    account: Account,
    offer_id: uuid.UUID,
    now: datetime,
    settings: Settings,
    notify: Notifier = SILENT,
    source: pool.PoolSource | None = None,
) -> tuple[CheckinOffer, uuid.UUID]:
    """ "Talk to a peer": opens the support request and the matchmaker looks for a supporter.
    Returns the check-in and the request's id. Conflict when the caller already has an open
    request or no profile (nothing changes then), or the check-in is no longer open. `source`
    is the worker's supporter pools, as for any request (`server.support.matchmaker`)."""
    async with db.session() as session:
        offer = await get_own(session, account=account, offer_id=offer_id)
        if CheckinStatus(offer.status) is not _S.OFFERED:
            raise Conflict(f"the check-in is {offer.status} and cannot be answered now")
        request = await requests.open_request(
            session, account=account, topics=[Topic.ADVERSE_EVENT.value],
            urgency=Urgency.SOON.value, languages=None, same_specialty_only=False, now=now,
        )  # fmt: skip
        offer = await _answer(session, offer, _S.ACCEPTED, responded_at=now, request_id=request.id)
        request_id = request.id
        await session.commit()
    if not matchmaker.pooled(settings, Urgency.SOON.value):
        await matchmaker.find_supporter(
            db, request_id=request_id, now=now, settings=settings, notify=notify, source=source
        )
    return offer, request_id
