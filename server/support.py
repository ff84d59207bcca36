"""Support requests and offers: the state machine, ranking with `matching`, and reservations.

    request:  searching ──offer──▶ offered ──accept──▶ matched
                 ▲                    │
                 └─decline / expiry───┘
              searching ──no candidate left──▶ unavailable
              searching | offered ──cancel──▶ cancelled

    offer:    pending ──▶ accepted | declined | expired | cancelled

Lock order, on every path that writes more than one of them: supporter profile row, then offer,
then request. Keeping one order means PostgreSQL never deadlocks between an accept, a cancel, an
expiry and a reservation. Every function here takes the caller's session and never commits;
`server.matchmaker` owns the transactions.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching import model as m
from matching.batch import assign_batch
from matching.constraints import WEEK
from matching.errors import MatchingError
from matching.online import rank
from matching.pool import SupporterPool
from matching.vocabulary import CareerStage, DailyWindow, Urgency, parse_languages, parse_topics
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
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.profiles import CAN_ASK, utc_offset_minutes
from server.roles import Role

__all__ = [
    "OPEN_STATUSES",
    "Reservation",
    "assign_window",
    "cancel_request",
    "decline_offer",
    "expire_due_offers",
    "get_own_request",
    "give_up",
    "open_request",
    "pending_offer",
    "pending_offers_for",
    "pooled_requests",
    "rank_candidates",
    "reserve",
    "stale_searching",
    "take_offer",
]

MATCH_POLICY = m.Policy(same_network_only=True)
OPEN_STATUSES = ("searching", "offered")
MAX_TOPICS = 5


class Reservation(enum.Enum):
    """What `reserve` did."""

    OFFERED = "offered"
    SUPPORTER_FULL = "supporter-full"  # unavailable or at a cap now: try the next candidate
    REQUEST_CLOSED = "request-closed"  # cancelled or already offered: stop


# -- opening, reading, cancelling --------------------------------------------------------------


async def open_request(
    session: AsyncSession,
    *,
    account: Account,
    topics: Sequence[str],
    urgency: str,
    languages: Sequence[str] | None,
    same_specialty_only: bool,
    now: datetime,
) -> SupportRequest:
    """Open a request (status `searching`). Conflict when one is open or there is no profile."""
    if account.role not in CAN_ASK:
        raise Forbidden("only clinicians and supporters ask for support")
    if not 1 <= len(topics) <= MAX_TOPICS:
        raise InvalidInput(f"give 1-{MAX_TOPICS} topics")
    try:
        parsed_topics = sorted(parse_topics(topics))
        parsed_urgency = Urgency(urgency)
        parsed_languages = sorted(parse_languages(languages)) if languages else []
    except (MatchingError, ValueError) as exc:
        raise InvalidInput(str(exc)) from None
    if await session.get(Profile, account.id) is None:
        raise Conflict("set your profile (PUT /api/v1/profile) before asking for support")
    existing = await session.exec(
        select(SupportRequest.id).where(SupportRequest.open_for == account.id)
    )
    if existing.first() is not None:
        raise Conflict("you already have an open support request; cancel it to ask again")
    request = SupportRequest(
        requester_id=account.id,
        open_for=account.id,
        status="searching",
        topics=[t.value for t in parsed_topics],
        urgency=parsed_urgency.value,
        languages=parsed_languages,
        same_specialty_only=same_specialty_only,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("you already have an open support request; cancel it to ask again") from None
    return request


async def get_own_request(
    session: AsyncSession, *, account: Account, request_id: uuid.UUID
) -> SupportRequest:
    """The caller's request; NotFound for anyone else's (existence is not revealed)."""
    request = await session.get(SupportRequest, request_id)
    if request is None or request.requester_id != account.id:
        raise NotFound("no such support request")
    return request


async def pending_offer(session: AsyncSession, *, request_id: uuid.UUID) -> Offer | None:
    query = select(Offer).where(Offer.request_id == request_id, Offer.status == "pending")
    return (await session.exec(query)).first()


async def cancel_request(
    session: AsyncSession, *, account: Account, request_id: uuid.UUID, now: datetime
) -> SupportRequest:
    """Cancel an open request, releasing a pending offer. Conflict once it is closed."""
    request = await get_own_request(session, account=account, request_id=request_id)
    if request.status not in OPEN_STATUSES:
        raise Conflict(f"the request is {request.status} and can no longer be cancelled")
    # Offer before request: the lock order of the module docstring.
    await session.exec(
        sa.update(Offer)
        .where(col(Offer.request_id) == request_id, col(Offer.status) == "pending")
        .values(status="cancelled", responded_at=now)
    )
    updated = await session.exec(
        sa.update(SupportRequest)
        .where(
            col(SupportRequest.id) == request_id,
            col(SupportRequest.status).in_(OPEN_STATUSES),
        )
        .values(status="cancelled", open_for=None, updated_at=now)
    )
    if updated.rowcount != 1:  # matched meanwhile; the caller rolls back
        raise Conflict("the request was matched meanwhile and can no longer be cancelled")
    await session.refresh(request)
    return request


# -- ranking -------------------------------------------------------------------------------------


async def _network_of(session: AsyncSession, institution_id: uuid.UUID) -> uuid.UUID:
    institution = await session.get(Institution, institution_id)
    assert institution is not None  # accounts reference institutions by foreign key
    return institution.network_id


def _stage(profile: Profile) -> CareerStage:
    return CareerStage(profile.career_stage)


async def _blocked_with(session: AsyncSession, account_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.exec(
        select(Block.blocker_id, Block.blocked_id).where(
            sa.or_(col(Block.blocker_id) == account_id, col(Block.blocked_id) == account_id)
        )
    )
    return {b if a == account_id else a for a, b in rows.all()}


async def _loads(
    session: AsyncSession, *, now: datetime
) -> tuple[dict[uuid.UUID, int], dict[uuid.UUID, list[datetime]]]:
    """Per supporter: current load (live pending offers + open rooms) and recent assignments."""
    load: dict[uuid.UUID, int] = defaultdict(int)
    pending = await session.exec(
        select(Offer.supporter_id, func.count())
        .where(Offer.status == "pending", col(Offer.expires_at) > now)
        .group_by(col(Offer.supporter_id))
    )
    for supporter_id, count in pending.all():
        load[supporter_id] += count
    rooms = await session.exec(
        select(RoomMember.account_id, func.count())
        .join(Room, col(Room.id) == col(RoomMember.room_id))
        .where(
            RoomMember.role == "supporter",
            col(RoomMember.left_at).is_(None),
            col(Room.closed_at).is_(None),
        )
        .group_by(col(RoomMember.account_id))
    )
    for supporter_id, count in rooms.all():
        load[supporter_id] += count
    recent: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    assigned = await session.exec(
        select(Offer.supporter_id, Offer.created_at).where(
            col(Offer.status).in_(("pending", "accepted")), col(Offer.created_at) > now - WEEK
        )
    )
    for supporter_id, at in assigned.all():
        recent[supporter_id].append(at)
    return load, recent


async def _wanted(
    session: AsyncSession, *, request: SupportRequest, now: datetime
) -> tuple[m.SupportRequest, uuid.UUID]:
    """The request as `matching` sees it, and the requester's network."""
    requester = await session.get(Account, request.requester_id)
    profile = await session.get(Profile, request.requester_id)
    assert requester is not None and profile is not None
    network_id = await _network_of(session, requester.institution_id)
    offered = await session.exec(select(Offer.supporter_id).where(Offer.request_id == request.id))
    # Supporters already offered this request, and blocks either way, are never candidates.
    excluded = await _blocked_with(session, requester.id) | set(offered.all())
    wanted = m.SupportRequest(
        request_id=str(request.id),
        requester_id=str(requester.id),
        institution_id=str(requester.institution_id),
        network_id=str(network_id),
        specialty=profile.specialty,
        years_experience=profile.years_experience,
        career_stage=_stage(profile),
        topics=parse_topics(request.topics),
        languages=frozenset(request.languages or profile.languages),
        utc_offset_minutes=utc_offset_minutes(profile.time_zone, now=now),
        urgency=Urgency(request.urgency),
        same_specialty_only=request.same_specialty_only,
        blocked_supporter_ids=frozenset(str(i) for i in excluded),
    )
    return wanted, network_id


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
            career_stage=_stage(p),
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


async def stale_searching(
    session: AsyncSession, *, before: datetime, include_routine: bool, limit: int = 100
) -> list[uuid.UUID]:
    """Requests left searching since `before` (e.g. the server stopped mid-search)."""
    query = select(SupportRequest.id).where(
        SupportRequest.status == "searching", col(SupportRequest.updated_at) <= before
    )
    if not include_routine:
        query = query.where(SupportRequest.urgency != "routine")
    return list((await session.exec(query.limit(limit))).all())


async def pooled_requests(session: AsyncSession, *, limit: int = 1000) -> list[SupportRequest]:
    """Routine requests still searching: what a batch window assigns."""
    query = (
        select(SupportRequest)
        .where(SupportRequest.status == "searching", SupportRequest.urgency == "routine")
        .order_by(col(SupportRequest.created_at))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


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


# -- reserving, expiring, answering --------------------------------------------------------------


@dataclass(frozen=True)
class Capacity:
    concurrent: int
    weekly: int


async def _capacity_used(
    session: AsyncSession, *, supporter_id: uuid.UUID, now: datetime
) -> Capacity:
    pending = await session.exec(
        select(func.count())
        .select_from(Offer)
        .where(
            Offer.supporter_id == supporter_id,
            Offer.status == "pending",
            col(Offer.expires_at) > now,
        )
    )
    rooms = await session.exec(
        select(func.count())
        .select_from(RoomMember)
        .join(Room, col(Room.id) == col(RoomMember.room_id))
        .where(
            RoomMember.account_id == supporter_id,
            RoomMember.role == "supporter",
            col(RoomMember.left_at).is_(None),
            col(Room.closed_at).is_(None),
        )
    )
    weekly = await session.exec(
        select(func.count())
        .select_from(Offer)
        .where(
            Offer.supporter_id == supporter_id,
            col(Offer.status).in_(("pending", "accepted")),
            col(Offer.created_at) > now - WEEK,
        )
    )
    return Capacity(concurrent=pending.one() + rooms.one(), weekly=weekly.one())


async def reserve(
    session: AsyncSession,
    *,
    request_id: uuid.UUID,
    candidate: m.Candidate,
    now: datetime,
    ttl: timedelta,
) -> Reservation:
    """Offer `request_id` to `candidate` if they still have capacity.

    Must run first in a fresh transaction: its first statement writes the supporter's row, which
    holds every other reservation for that supporter until the caller commits (a row lock on
    PostgreSQL, the database write lock on SQLite, where reading first would risk a stale
    snapshot). The caps are counted only after that write. On anything but OFFERED the caller
    rolls back.
    """
    supporter_id = uuid.UUID(candidate.supporter_id)
    touched = await session.exec(
        sa.update(SupporterProfile)
        .where(
            col(SupporterProfile.account_id) == supporter_id,
            col(SupporterProfile.available).is_(True),
        )
        .values(lock_version=col(SupporterProfile.lock_version) + 1)
    )
    if touched.rowcount != 1:
        return Reservation.SUPPORTER_FULL
    caps = await session.get(SupporterProfile, supporter_id)
    assert caps is not None
    used = await _capacity_used(session, supporter_id=supporter_id, now=now)
    if used.concurrent >= caps.concurrent_cap or used.weekly >= caps.weekly_cap:
        return Reservation.SUPPORTER_FULL
    moved = await session.exec(
        sa.update(SupportRequest)
        .where(col(SupportRequest.id) == request_id, col(SupportRequest.status) == "searching")
        .values(status="offered", updated_at=now)
    )
    if moved.rowcount != 1:
        return Reservation.REQUEST_CLOSED
    phrases = [p.phrase for p in candidate.explanation.parts if p.phrase]
    session.add(
        Offer(
            request_id=request_id,
            supporter_id=supporter_id,
            status="pending",
            score=round(candidate.score, 4),
            explanation=[candidate.explanation.summary, *phrases],
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return Reservation.OFFERED


async def give_up(session: AsyncSession, *, request_id: uuid.UUID, now: datetime) -> bool:
    """No one can take the request: `unavailable`, closed. False if it was no longer searching."""
    updated = await session.exec(
        sa.update(SupportRequest)
        .where(col(SupportRequest.id) == request_id, col(SupportRequest.status) == "searching")
        .values(status="unavailable", open_for=None, updated_at=now)
    )
    return updated.rowcount == 1


async def _back_to_searching(
    session: AsyncSession, *, offer_id: uuid.UUID, request_id: uuid.UUID, status: str, now: datetime
) -> bool:
    """Close a pending offer with `status`, then reopen its request. False if it was not pending."""
    query = sa.update(Offer).where(col(Offer.id) == offer_id, col(Offer.status) == "pending")
    if status == "expired":
        query = query.where(col(Offer.expires_at) <= now)
    closed = await session.exec(query.values(status=status, responded_at=now))
    if closed.rowcount != 1:
        return False
    await session.exec(
        sa.update(SupportRequest)
        .where(col(SupportRequest.id) == request_id, col(SupportRequest.status) == "offered")
        .values(status="searching", updated_at=now)
    )
    return True


async def expire_due_offers(
    session: AsyncSession, *, now: datetime, request_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Expire pending offers past their deadline (of one request, or all); returns the requests
    that are searching again, which the caller hands to the matchmaker after committing."""
    query = select(Offer.id, Offer.request_id).where(
        Offer.status == "pending", col(Offer.expires_at) <= now
    )
    if request_id is not None:
        query = query.where(Offer.request_id == request_id)
    reopened = []
    for offer_id, owner in (await session.exec(query.limit(500))).all():
        if await _back_to_searching(
            session, offer_id=offer_id, request_id=owner, status="expired", now=now
        ):
            reopened.append(owner)
    return reopened


async def pending_offers_for(
    session: AsyncSession, *, account: Account, now: datetime
) -> list[tuple[Offer, SupportRequest]]:
    """The supporter's live offers with their requests, oldest first."""
    rows = await session.exec(
        select(Offer, SupportRequest)
        .join(SupportRequest, col(SupportRequest.id) == col(Offer.request_id))
        .where(
            Offer.supporter_id == account.id,
            Offer.status == "pending",
            col(Offer.expires_at) > now,
        )
        .order_by(col(Offer.created_at))
    )
    return list(rows.all())


async def _own_offer(session: AsyncSession, *, account: Account, offer_id: uuid.UUID) -> Offer:
    offer = await session.get(Offer, offer_id)
    if offer is None or offer.supporter_id != account.id:
        raise NotFound("no such offer")
    return offer


def _not_pending(offer: Offer, now: datetime) -> Conflict:
    status = "expired" if offer.status == "pending" and offer.expires_at <= now else offer.status
    return Conflict(f"the offer is {status}")


async def take_offer(
    session: AsyncSession, *, account: Account, offer_id: uuid.UUID, now: datetime
) -> Offer:
    """Accept a live offer and move its request to `matched`. The caller creates the room.

    NotFound for someone else's offer, Conflict for one that is not pending or has expired.
    """
    offer = await _own_offer(session, account=account, offer_id=offer_id)
    taken = await session.exec(
        sa.update(Offer)
        .where(
            col(Offer.id) == offer_id,
            col(Offer.status) == "pending",
            col(Offer.expires_at) > now,
        )
        .values(status="accepted", responded_at=now)
    )
    if taken.rowcount != 1:
        raise _not_pending(offer, now)
    matched = await session.exec(
        sa.update(SupportRequest)
        .where(col(SupportRequest.id) == offer.request_id, col(SupportRequest.status) == "offered")
        .values(status="matched", open_for=None, updated_at=now)
    )
    if matched.rowcount != 1:
        raise Conflict("the request is no longer waiting for you")
    await session.refresh(offer)
    return offer


async def decline_offer(
    session: AsyncSession, *, account: Account, offer_id: uuid.UUID, now: datetime
) -> Offer:
    """Decline a live offer; its request goes back to searching (the caller finds the next)."""
    offer = await _own_offer(session, account=account, offer_id=offer_id)
    if offer.status != "pending" or offer.expires_at <= now:
        raise _not_pending(offer, now)
    if not await _back_to_searching(
        session, offer_id=offer.id, request_id=offer.request_id, status="declined", now=now
    ):
        raise _not_pending(offer, now)
    await session.refresh(offer)
    return offer
