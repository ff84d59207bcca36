"""Rows → `matching` records: the network's supporters as a pool, a request as matching sees it,
and a supporter's current load (defined once here, for ranking and for the capacity check)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

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
    "Capacity",
    "assign_window",
    "capacity_used",
    "rank_candidates",
]

MATCH_POLICY = m.Policy(same_network_only=True)
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


async def _pool(
    session: AsyncSession,
    *,
    network_id: uuid.UUID,
    now: datetime,
    not_institution: uuid.UUID | None = None,
) -> SupporterPool:
    """The network's available supporters with their current load, as a matching pool."""
    query = (
        select(SupporterProfile, Profile, Account)
        .join(Profile, col(Profile.account_id) == col(SupporterProfile.account_id))
        .join(Account, col(Account.id) == col(SupporterProfile.account_id))
        .join(Institution, col(Institution.id) == col(Account.institution_id))
        .where(
            Institution.network_id == network_id,
            Account.role == Role.SUPPORTER.value,
            col(Account.disabled_at).is_(None),
            col(SupporterProfile.available).is_(True),
        )
    )
    if not_institution is not None:
        query = query.where(col(Institution.id) != not_institution)
    rows = await session.exec(query)
    load, recent = await _loads(session, now=now)
    return SupporterPool(
        m.Supporter(
            supporter_id=str(account.id),
            institution_id=str(account.institution_id),
            network_id=str(network_id),
            specialty=p.specialty,
            years_experience=p.years_experience,
            career_stage=CareerStage(p.career_stage),
            languages=frozenset(p.languages),
            utc_offset_minutes=utc_offset_minutes(p.time_zone, now=now),
            availability=tuple(DailyWindow(a, b) for a, b in sp.daily_hours),
            topic_expertise=parse_topics(sp.topic_expertise),
            concurrent_cap=sp.concurrent_cap,
            weekly_cap=sp.weekly_cap,
            current_load=min(load[account.id], 1000),
            recent_assignments=tuple(recent[account.id]),
        )
        for sp, p, account in rows.all()
    )


async def rank_candidates(
    session: AsyncSession,
    *,
    request: SupportRequest,
    now: datetime,
    k: int,
    policy: m.Policy = MATCH_POLICY,
) -> list[m.Candidate]:
    """The `k` best supporters of the requester's network (other institutions only) who have not
    been offered this request yet, best first. Reads only."""
    wanted, network_id = await _wanted(session, request=request, now=now)
    pool = await _pool(
        session,
        network_id=network_id,
        now=now,
        not_institution=uuid.UUID(wanted.institution_id),
    )
    return rank(pool, wanted, now=now, k=k, policy=policy)


async def assign_window(
    session: AsyncSession,
    *,
    requests: Sequence[SupportRequest],
    now: datetime,
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
        pool = await _pool(session, network_id=network_id, now=now)
        result = assign_batch(pool, wanted_list, now=now, policy=policy)
        for a in result.assignments:
            chosen[uuid.UUID(a.request_id)] = m.Candidate(a.supporter_id, a.score, a.explanation)
    return chosen
