"""Rows → `matching` records: the network's supporters as a pool, a request as matching sees it,
and a supporter's current load (defined once here, for ranking and for the capacity check).

Ranking takes its pool from a `PoolSource` (the worker's `server.support.roster.Roster`, which
keeps every network's pool in memory); these functions are what it reads rows with.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

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
    "Wanted",
    "assign_window",
    "capacity_counts",
    "capacity_used",
    "load_details",
    "load_pool",
    "matchable",
    "rank_candidates",
    "supporter_rows",
    "to_supporter",
    "wanted_new",
    "wanted_requests",
]

MATCH_POLICY = m.Policy(same_network_only=True)
_PENDING = OfferStatus.PENDING.value
_LIVE_OR_TAKEN = (OfferStatus.PENDING.value, OfferStatus.ACCEPTED.value)
_KIND_PENDING, _KIND_WEEK, _KIND_ROOMS = 0, 1, 2


# -- load: what a supporter carries now ----------------------------------------------------------


def _count(query: Any) -> sa.ScalarSelect[int]:
    return sa.select(func.count()).select_from(query.subquery()).scalar_subquery()


def capacity_counts(
    supporter_id: uuid.UUID | sa.ColumnElement[uuid.UUID], *, now: datetime
) -> tuple[sa.ColumnElement[int], sa.ColumnElement[int]]:
    """(concurrent load, weekly count) of one supporter as SQL expressions: the definitions
    ranking uses (`Load`), for a statement that checks the caps in the same breath."""
    live = select(Offer.id).where(
        Offer.supporter_id == supporter_id,
        Offer.status == OfferStatus.PENDING.value,
        col(Offer.expires_at) > now,
    )
    rooms = (
        select(RoomMember.id)
        .join(Room, col(Room.id) == col(RoomMember.room_id))
        .where(
            RoomMember.account_id == supporter_id,
            RoomMember.role == MemberRole.SUPPORTER.value,
            col(RoomMember.left_at).is_(None),
            col(Room.closed_at).is_(None),
        )
    )
    week = select(Offer.id).where(
        Offer.supporter_id == supporter_id,
        col(Offer.status).in_(_LIVE_OR_TAKEN),
        col(Offer.created_at) > now - WEEK,
    )
    return _count(live) + _count(rooms), _count(week)


class Capacity:
    """What one supporter uses now, against their caps."""

    __slots__ = ("concurrent", "weekly")

    def __init__(self, concurrent: int, weekly: int) -> None:
        self.concurrent = concurrent
        self.weekly = weekly


async def capacity_used(
    session: AsyncSession, *, supporter_id: uuid.UUID, now: datetime
) -> Capacity:
    """The supporter's current load and weekly count, by the same definition ranking uses
    (one statement)."""
    concurrent, weekly = capacity_counts(supporter_id, now=now)
    connection = await session.connection()
    row = (await connection.execute(sa.select(concurrent, weekly))).one()
    return Capacity(concurrent=int(row[0]), weekly=int(row[1]))


# -- the request and the pool as matching sees them ------------------------------------------------


_REQUEST_COLUMNS: tuple[Any, ...] = (
    col(SupportRequest.id),
    col(SupportRequest.status),
    col(SupportRequest.requester_id),
    col(SupportRequest.topics),
    col(SupportRequest.urgency),
    col(SupportRequest.languages),
    col(SupportRequest.same_specialty_only),
    col(Account.institution_id),
    col(Institution.network_id),
    col(Profile.specialty),
    col(Profile.years_experience),
    col(Profile.career_stage),
    col(Profile.languages).label("profile_languages"),
    col(Profile.time_zone),
)


def _excluded(request_id: uuid.UUID, requester_id: uuid.UUID) -> sa.CompoundSelect[Any]:
    """Supporters already offered this request, and blocks either way: never candidates."""
    return sa.union(
        sa.select(col(Offer.supporter_id)).where(col(Offer.request_id) == request_id),
        sa.select(col(Block.blocked_id)).where(col(Block.blocker_id) == requester_id),
        sa.select(col(Block.blocker_id)).where(col(Block.blocked_id) == requester_id),
    )


@dataclass(frozen=True, slots=True)
class Wanted:
    """A request as `matching` sees it (`request`), read in two statements, with what the
    matchmaker needs besides: its status now, its requester and the requester's network."""

    request: m.SupportRequest
    status: str
    requester_id: uuid.UUID
    network_id: uuid.UUID


_REQUESTER_COLUMNS: tuple[Any, ...] = _REQUEST_COLUMNS[7:]


def _as_wanted(
    request: Any, requester: Any, excluded: Iterable[uuid.UUID], now: datetime
) -> Wanted:
    """`request` (a row or a `SupportRequest`) and its requester's row as matching sees them."""
    wanted = m.SupportRequest(
        request_id=str(request.id),
        requester_id=str(request.requester_id),
        institution_id=str(requester.institution_id),
        network_id=str(requester.network_id),
        specialty=requester.specialty,
        years_experience=requester.years_experience,
        career_stage=CareerStage(requester.career_stage),
        topics=parse_topics(request.topics),
        languages=frozenset(request.languages or requester.profile_languages),
        utc_offset_minutes=utc_offset_minutes(requester.time_zone, now=now),
        urgency=Urgency(request.urgency),
        same_specialty_only=request.same_specialty_only,
        blocked_supporter_ids=frozenset(str(i) for i in excluded),
    )
    return Wanted(wanted, request.status, request.requester_id, requester.network_id)


async def wanted_requests(
    session: AsyncSession, *, ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, Wanted]:
    """The given requests (those that exist, whatever their status) as matching sees them:
    one join of request, requester, profile and institution, and one query per request for
    whom it excludes."""
    connection = await session.connection()
    query = (
        sa.select(*_REQUEST_COLUMNS)
        .select_from(SupportRequest)
        .join(Account, col(Account.id) == col(SupportRequest.requester_id))
        .join(Profile, col(Profile.account_id) == col(SupportRequest.requester_id))
        .join(Institution, col(Institution.id) == col(Account.institution_id))
        .where(col(SupportRequest.id).in_(list(ids)))
    )
    found: dict[uuid.UUID, Wanted] = {}
    for row in (await connection.execute(query)).all():
        excluded = (await connection.execute(_excluded(row.id, row.requester_id))).scalars()
        found[row.id] = _as_wanted(row, row, excluded, now)
    return found


async def wanted_new(
    session: AsyncSession, *, request: SupportRequest, now: datetime
) -> Wanted | None:
    """A request not saved yet (`requests.new_request`) as matching sees it, in two statements
    (the requester's profile and network; blocks either way). None when the requester has no
    profile."""
    connection = await session.connection()
    query = (
        sa.select(*_REQUESTER_COLUMNS)
        .select_from(Account)
        .join(Profile, col(Profile.account_id) == col(Account.id))
        .join(Institution, col(Institution.id) == col(Account.institution_id))
        .where(col(Account.id) == request.requester_id)
    )
    requester = (await connection.execute(query)).first()
    if requester is None:
        return None
    excluded = (await connection.execute(_excluded(request.id, request.requester_id))).scalars()
    return _as_wanted(request, requester, excluded, now)


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
    """Each supporter's `Load` (of the given ones, or of everyone with any), in one statement:
    pending offers' expiries, this week's offers, and open rooms, tagged by kind."""
    pending = sa.select(
        col(Offer.supporter_id), sa.literal(_KIND_PENDING), col(Offer.expires_at), sa.literal(1)
    ).where(col(Offer.status) == _PENDING)
    week = sa.select(
        col(Offer.supporter_id), sa.literal(_KIND_WEEK), col(Offer.created_at), sa.literal(1)
    ).where(col(Offer.status).in_(_LIVE_OR_TAKEN), col(Offer.created_at) > now - WEEK)
    rooms = (
        sa.select(col(RoomMember.account_id), sa.literal(_KIND_ROOMS), sa.null(), func.count())
        .join(Room, col(Room.id) == col(RoomMember.room_id))
        .where(
            col(RoomMember.role) == MemberRole.SUPPORTER.value,
            col(RoomMember.left_at).is_(None),
            col(Room.closed_at).is_(None),
        )
        .group_by(col(RoomMember.account_id))
    )
    if ids is not None:
        wanted = list(ids)
        pending = pending.where(col(Offer.supporter_id).in_(wanted))
        week = week.where(col(Offer.supporter_id).in_(wanted))
        rooms = rooms.where(col(RoomMember.account_id).in_(wanted))
    # The first SELECT's column types decode the union's rows (the datetimes on SQLite).
    connection = await session.connection()
    union: Any = sa.union_all(pending, week, rooms)
    rows: Sequence[Any] = (await connection.execute(union)).all()
    open_rooms: dict[uuid.UUID, int] = {}
    expiries: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    started: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    for who, kind, at, count in rows:
        if kind == _KIND_ROOMS:
            open_rooms[who] = int(count)
        else:
            (expiries if kind == _KIND_PENDING else started)[who].append(at)
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
    request: SupportRequest | Wanted,
    now: datetime,
    k: int,
    source: PoolSource | None = None,
    policy: m.Policy = MATCH_POLICY,
) -> list[m.Candidate]:
    """The `k` best supporters of the requester's network (other institutions only) who have not
    been offered this request yet, best first. Reads only.

    `request` is a row, or what `wanted_requests` read already (the matchmaker's case: it reads
    the request's status in the same statement). The pool comes from `source` (a worker's
    `Roster`), else it is read from the database now.
    """
    if isinstance(request, Wanted):
        wanted = request
    else:
        wanted = (await wanted_requests(session, ids=[request.id], now=now))[request.id]
    pool = await _network_pool(session, network_id=wanted.network_id, now=now, source=source)
    # No await between getting the pool and ranking on it: nothing changes it meanwhile.
    return rank(pool, wanted.request, now=now, k=k, policy=policy)


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
    found = await wanted_requests(session, ids=[r.id for r in requests], now=now)
    for request in requests:  # in the window's order
        wanted = found[request.id]
        by_network[wanted.network_id].append(wanted.request)
    chosen: dict[uuid.UUID, m.Candidate] = {}
    for network_id, wanted_list in by_network.items():
        pool = await _network_pool(session, network_id=network_id, now=now, source=source)
        result = assign_batch(pool, wanted_list, now=now, policy=policy)
        for a in result.assignments:
            chosen[uuid.UUID(a.request_id)] = m.Candidate(a.supporter_id, a.score, a.explanation)
    return chosen
