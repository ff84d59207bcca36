"""Rows → `matching` records: the network's supporters as a pool, a request as matching sees it,
and a supporter's current load (defined once here, for ranking and for the capacity check).

Ranking takes its pool from a `PoolSource` (the worker's `server.support.roster.Roster`, which
keeps every network's pool in memory); these functions are what it reads rows with.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from matching import model as m
from matching.batch import assign_batch
from matching.constraints import WEEK
from matching.online import rank
from matching.pool import SupporterPool
from matching.vocabulary import CareerStage, DailyWindow, Urgency, parse_topics
from server.accounts.roles import Role
from server.db.models import (
    Account,
    Block,
    Institution,
    Offer,
    Profile,
    Room,
    RoomMember,
    SupporterProfile,
    SupportRequest,
)
from server.rooms.states import MemberRole
from server.support.profiles import utc_offset_minutes
from server.support.states import OfferStatus

__all__ = [
    "MATCH_POLICY",
    "NO_LOAD",
    "Capacity",
    "Load",
    "PoolSource",
    "assign_window",
    "capacity_used",
    "load_details",
    "load_pool",
    "matchable",
    "rank_candidates",
    "supporter_rows",
    "to_supporter",
]

MATCH_POLICY = m.Policy(same_network_only=True)
_PENDING = OfferStatus.PENDING.value
_LIVE_OR_TAKEN = (OfferStatus.PENDING.value, OfferStatus.ACCEPTED.value)


# -- load: what a supporter carries now ----------------------------------------------------------


def _live_offers(now: datetime) -> Select[uuid.UUID, int]:
    """Pending offers that have not expired, counted per supporter."""
    return (
        select(Offer.supporter_id, func.count())
        .where(Offer.status == OfferStatus.PENDING.value, col(Offer.expires_at) > now)
        .group_by(col(Offer.supporter_id))
    )


def _open_rooms() -> Select[uuid.UUID, int]:
    """Rooms a supporter is still in and that are still open, counted per supporter."""
    return (
        select(RoomMember.account_id, func.count())
        .join(Room, col(Room.id) == col(RoomMember.room_id))
        .where(
            RoomMember.role == MemberRole.SUPPORTER.value,
            col(RoomMember.left_at).is_(None),
            col(Room.closed_at).is_(None),
        )
        .group_by(col(RoomMember.account_id))
    )


def _this_week(now: datetime) -> Select[uuid.UUID, datetime]:
    """Offers made in the last week that still count against the weekly cap."""
    return select(Offer.supporter_id, Offer.created_at).where(
        col(Offer.status).in_(_LIVE_OR_TAKEN), col(Offer.created_at) > now - WEEK
    )


async def _loads(
    session: AsyncSession, *, now: datetime, supporter_id: uuid.UUID | None = None
) -> tuple[dict[uuid.UUID, int], dict[uuid.UUID, list[datetime]]]:
    """Current load (live offers + open rooms) and this week's assignments, per supporter (of
    one supporter, or of all)."""
    offers, rooms, week = _live_offers(now), _open_rooms(), _this_week(now)
    if supporter_id is not None:
        offers = offers.where(Offer.supporter_id == supporter_id)
        rooms = rooms.where(RoomMember.account_id == supporter_id)
        week = week.where(Offer.supporter_id == supporter_id)
    load: dict[uuid.UUID, int] = defaultdict(int)
    for query in (offers, rooms):
        for who, count in (await session.exec(query)).all():
            load[who] += count
    recent: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    for who, at in (await session.exec(week)).all():
        recent[who].append(at)
    return load, recent


class Capacity:
    """What one supporter uses now, against their caps."""

    __slots__ = ("concurrent", "weekly")

    def __init__(self, concurrent: int, weekly: int) -> None:
        self.concurrent = concurrent
        self.weekly = weekly


async def capacity_used(
    session: AsyncSession, *, supporter_id: uuid.UUID, now: datetime
) -> Capacity:
    """The supporter's current load and weekly count, by the same definition ranking uses."""
    load, recent = await _loads(session, now=now, supporter_id=supporter_id)
    return Capacity(concurrent=load[supporter_id], weekly=len(recent[supporter_id]))


# -- the request and the pool as matching sees them ------------------------------------------------


async def _blocked_with(session: AsyncSession, account_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.exec(
        select(Block.blocker_id, Block.blocked_id).where(
            sa.or_(col(Block.blocker_id) == account_id, col(Block.blocked_id) == account_id)
        )
    )
    return {b if a == account_id else a for a, b in rows.all()}


async def _wanted(
    session: AsyncSession, *, request: SupportRequest, now: datetime
) -> tuple[m.SupportRequest, uuid.UUID]:
    """The request as `matching` sees it, and the requester's network."""
    requester = await session.get(Account, request.requester_id)
    profile = await session.get(Profile, request.requester_id)
    assert requester is not None and profile is not None
    institution = await session.get(Institution, requester.institution_id)
    assert institution is not None  # accounts reference institutions by foreign key
    offered = await session.exec(select(Offer.supporter_id).where(Offer.request_id == request.id))
    # Supporters already offered this request, and blocks either way, are never candidates.
    excluded = await _blocked_with(session, requester.id) | set(offered.all())
    wanted = m.SupportRequest(
        request_id=str(request.id),
        requester_id=str(requester.id),
        institution_id=str(requester.institution_id),
        network_id=str(institution.network_id),
        specialty=profile.specialty,
        years_experience=profile.years_experience,
        career_stage=CareerStage(profile.career_stage),
        topics=parse_topics(request.topics),
        languages=frozenset(request.languages or profile.languages),
        utc_offset_minutes=utc_offset_minutes(profile.time_zone, now=now),
        urgency=Urgency(request.urgency),
        same_specialty_only=request.same_specialty_only,
        blocked_supporter_ids=frozenset(str(i) for i in excluded),
    )
    return wanted, institution.network_id


# -- supporters as rows, and rows as `matching.Supporter` ---------------------------------------


@dataclass(frozen=True, slots=True)
class Load:
    """What a supporter carries, as of the rows read: open rooms, the expiry times of their
    pending offers (a pending offer counts until it expires), and the start times of this week's
    offers that count against the weekly cap (pending or accepted)."""

    rooms: int = 0
    pending: tuple[datetime, ...] = ()
    week: tuple[datetime, ...] = ()

    def current(self, now: datetime) -> int:
        """Concurrent load at `now`: the definition `capacity_used` checks against."""
        return self.rooms + sum(1 for expires in self.pending if expires > now)


NO_LOAD = Load()

_SUPPORTER_COLUMNS = (
    col(Account.id),
    col(Account.institution_id),
    col(Institution.network_id),
    col(Account.role),
    col(Account.disabled_at),
    col(Profile.specialty),
    col(Profile.years_experience),
    col(Profile.career_stage),
    col(Profile.languages),
    col(Profile.time_zone),
    col(SupporterProfile.topic_expertise),
    col(SupporterProfile.concurrent_cap),
    col(SupporterProfile.weekly_cap),
    col(SupporterProfile.available),
    col(SupporterProfile.daily_hours),
)


async def supporter_rows(
    session: AsyncSession,
    *,
    network_id: uuid.UUID | None = None,
    ids: Collection[uuid.UUID] | None = None,
) -> Sequence[sa.Row[Any]]:
    """Plain rows (no ORM objects) of supporters with both profiles: a network's matchable ones
    (role supporter, not disabled; available or not), or the given accounts whatever their state
    (check `matchable`)."""
    query = (
        sa.select(*_SUPPORTER_COLUMNS)
        .select_from(SupporterProfile)
        .join(Profile, col(Profile.account_id) == col(SupporterProfile.account_id))
        .join(Account, col(Account.id) == col(SupporterProfile.account_id))
        .join(Institution, col(Institution.id) == col(Account.institution_id))
    )
    if network_id is not None:
        query = query.where(
            col(Institution.network_id) == network_id,
            col(Account.role) == Role.SUPPORTER.value,
            col(Account.disabled_at).is_(None),
        )
    if ids is not None:
        query = query.where(col(SupporterProfile.account_id).in_(list(ids)))
    # Core on the session's connection: plain rows, no ORM identity map for 10^5 supporters.
    connection = await session.connection()
    result: sa.Result[Any] = await connection.execute(query)
    return result.all()


def matchable(row: sa.Row[Any]) -> bool:
    """Whether a `supporter_rows` row belongs in a pool at all (availability aside)."""
    return bool(row.role == Role.SUPPORTER.value and row.disabled_at is None)


async def load_details(
    session: AsyncSession, *, now: datetime, ids: Collection[uuid.UUID] | None = None
) -> dict[uuid.UUID, Load]:
    """Each supporter's `Load` (of the given ones, or of everyone with any)."""
    rooms = _open_rooms()
    pending = select(Offer.supporter_id, Offer.expires_at).where(Offer.status == _PENDING)
    week = _this_week(now)
    if ids is not None:
        wanted = list(ids)
        rooms = rooms.where(col(RoomMember.account_id).in_(wanted))
        pending = pending.where(col(Offer.supporter_id).in_(wanted))
        week = week.where(col(Offer.supporter_id).in_(wanted))
    open_rooms: dict[uuid.UUID, int] = dict((await session.exec(rooms)).all())
    expiries: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    for who, at in (await session.exec(pending)).all():
        expiries[who].append(at)
    started: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    for who, at in (await session.exec(week)).all():
        started[who].append(at)
    return {
        who: Load(open_rooms.get(who, 0), tuple(expiries.get(who, ())), tuple(started.get(who, ())))
        for who in open_rooms.keys() | expiries.keys() | started.keys()
    }


def to_supporter(row: sa.Row[Any], load: Load, *, now: datetime) -> m.Supporter:
    """A `supporter_rows` row and its load as `matching` sees them at `now`."""
    return m.Supporter(
        supporter_id=str(row.id),
        institution_id=str(row.institution_id),
        network_id=str(row.network_id),
        specialty=row.specialty,
        years_experience=row.years_experience,
        career_stage=CareerStage(row.career_stage),
        languages=frozenset(row.languages),
        utc_offset_minutes=utc_offset_minutes(row.time_zone, now=now),
        availability=tuple(DailyWindow(a, b) for a, b in row.daily_hours),
        topic_expertise=parse_topics(row.topic_expertise),
        accepting=bool(row.available),
        concurrent_cap=row.concurrent_cap,
        weekly_cap=row.weekly_cap,
        current_load=min(load.current(now), 1000),
        recent_assignments=load.week,
    )


async def load_pool(
    session: AsyncSession, *, network_id: uuid.UUID, now: datetime
) -> SupporterPool:
    """The network's supporters with their current load, read now: what a `Roster` keeps
    current in memory, for callers without one (tools, and the benchmark's "before")."""
    rows = await supporter_rows(session, network_id=network_id)
    loads = await load_details(session, now=now)
    return SupporterPool(to_supporter(r, loads.get(r.id, NO_LOAD), now=now) for r in rows)


class PoolSource(Protocol):
    """Where ranking gets a network's pool: `server.support.roster.Roster`, kept in memory."""

    async def pool(self, *, network_id: uuid.UUID, now: datetime) -> SupporterPool: ...

    def stale(self, supporter_id: uuid.UUID) -> None:
        """The database disagreed with the pool about this supporter: re-read them."""


async def _network_pool(
    session: AsyncSession, *, network_id: uuid.UUID, now: datetime, source: PoolSource | None
) -> SupporterPool:
    if source is None:
        return await load_pool(session, network_id=network_id, now=now)
    return await source.pool(network_id=network_id, now=now)


async def rank_candidates(
    session: AsyncSession,
    *,
    request: SupportRequest,
    now: datetime,
    k: int,
    source: PoolSource | None = None,
    policy: m.Policy = MATCH_POLICY,
) -> list[m.Candidate]:
    """The `k` best supporters of the requester's network (other institutions only) who have not
    been offered this request yet, best first. Reads only.

    The pool comes from `source` (a worker's `Roster`), else it is read from the database now.
    """
    wanted, network_id = await _wanted(session, request=request, now=now)
    pool = await _network_pool(session, network_id=network_id, now=now, source=source)
    # No await between getting the pool and ranking on it: nothing changes it meanwhile.
    return rank(pool, wanted, now=now, k=k, policy=policy)


async def assign_window(
    session: AsyncSession,
    *,
    requests: Sequence[SupportRequest],
    now: datetime,
    source: PoolSource | None = None,
    policy: m.Policy = MATCH_POLICY,
) -> dict[uuid.UUID, m.Candidate]:
    """Jointly assign a window of requests with the batch optimiser, network by network.

    Returns the chosen supporter per request (the caller reserves each, as for online offers);
    requests missing from the result are left for the online path. Reads only.
    """
    by_network: dict[uuid.UUID, list[m.SupportRequest]] = defaultdict(list)
    for request in requests:
        wanted, network_id = await _wanted(session, request=request, now=now)
        by_network[network_id].append(wanted)
    chosen: dict[uuid.UUID, m.Candidate] = {}
    for network_id, wanted_list in by_network.items():
        pool = await _network_pool(session, network_id=network_id, now=now, source=source)
        result = assign_batch(pool, wanted_list, now=now, policy=policy)
        for a in result.assignments:
            chosen[uuid.UUID(a.request_id)] = m.Candidate(a.supporter_id, a.score, a.explanation)
    return chosen
