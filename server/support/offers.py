"""Offers: reserving a supporter for a request, and the supporter's answer or its expiry.

Lock order, on every path that writes more than one of them: supporter profile row, then offer,
then request. Keeping one order means PostgreSQL never deadlocks between an accept, a cancel, an
expiry and a reservation. Every function takes the caller's session and never commits;
`server.support.matchmaker` owns the transactions.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching import model as m
from server.db.changes import touch_supporter
from server.db.models import Account, Offer, SupporterProfile, SupportRequest
from server.errors import Conflict, NotFound
from server.support.pool import capacity_counts
from server.support.states import OFFER, REQUEST, OfferStatus, RequestStatus

__all__ = [
    "Reservation",
    "claim_supporter",
    "decline_offer",
    "expire_due_offers",
    "pending_offer",
    "pending_offers_for",
    "reserve",
    "take_offer",
]

_PENDING, _SEARCHING, _OFFERED = OfferStatus.PENDING, RequestStatus.SEARCHING, RequestStatus.OFFERED


class Reservation(enum.Enum):
    """What `reserve` did."""

    OFFERED = "offered"
    SUPPORTER_FULL = "supporter-full"  # unavailable or at a cap now: try the next candidate
    REQUEST_CLOSED = "request-closed"  # cancelled or already offered: stop


async def pending_offer(session: AsyncSession, *, request_id: uuid.UUID) -> Offer | None:
    query = select(Offer).where(Offer.request_id == request_id, Offer.status == _PENDING)
    return (await session.exec(query)).first()


def claim_supporter(supporter_id: uuid.UUID) -> sa.Update:
    """The reservation's first statement: bump the supporter's lock version if they are
    available and their account is active, returning their caps (no row: not reservable)."""
    return (
        sa.update(SupporterProfile)
        .where(
            col(SupporterProfile.account_id) == supporter_id,
            col(SupporterProfile.available).is_(True),
            # The pool in memory may be behind a suspension: the database decides. One
            # primary-key lookup (an uncorrelated `IN (SELECT … disabled_at IS NULL)` listed
            # every account: 0.7 s per reservation at 10^5 accounts on SQLite).
            sa.exists().where(col(Account.id) == supporter_id, col(Account.disabled_at).is_(None)),
        )
        .values(lock_version=col(SupporterProfile.lock_version) + 1)
        .returning(col(SupporterProfile.concurrent_cap), col(SupporterProfile.weekly_cap))
    )


async def reserve(
    session: AsyncSession,
    *,
    request_id: uuid.UUID,
    candidate: m.Candidate,
    now: datetime,
    ttl: timedelta,
) -> Reservation:
    """Offer `request_id` to `candidate` if they still have capacity.

    Must be the first write of its transaction, or follow only writes of rows nobody else can
    see yet (`matchmaker.open_and_offer` inserts the new request first): its first statement
    writes the supporter's row, which holds every other reservation for that supporter until
    the caller commits (a row lock on PostgreSQL, the database write lock on SQLite, where a
    transaction that read first would risk a stale snapshot). The caps are counted only after
    that write, by the next statement (on PostgreSQL a statement's snapshot begins after the
    lock was granted, so it sees the offers the previous holder committed): the request moves
    to `offered` only if it is still searching and the supporter is under both caps. Three
    statements when it succeeds. On anything but OFFERED the caller rolls back.
    """
    supporter_id = uuid.UUID(candidate.supporter_id)
    # Core on the session's connection: no ORM objects, no identity-map synchronisation.
    connection = await session.connection()
    caps = (await connection.execute(claim_supporter(supporter_id))).first()
    if caps is None:
        return Reservation.SUPPORTER_FULL
    concurrent, weekly = capacity_counts(supporter_id, now=now)
    moved = await connection.execute(
        sa.update(SupportRequest)
        .where(
            col(SupportRequest.id) == request_id,
            col(SupportRequest.status) == _SEARCHING,
            concurrent < caps.concurrent_cap,
            weekly < caps.weekly_cap,
        )
        .values(status=REQUEST(_SEARCHING, _OFFERED), updated_at=now)
    )
    if moved.rowcount != 1:
        status = await connection.scalar(
            sa.select(col(SupportRequest.status)).where(col(SupportRequest.id) == request_id)
        )
        searching = status == _SEARCHING
        return Reservation.SUPPORTER_FULL if searching else Reservation.REQUEST_CLOSED
    phrases = [p.phrase for p in candidate.explanation.parts if p.phrase]
    await connection.execute(
        sa.insert(Offer).values(
            id=uuid.uuid4(),
            request_id=request_id,
            supporter_id=supporter_id,
            status=_PENDING,
            score=round(candidate.score, 4),
            explanation=[candidate.explanation.summary, *phrases],
            created_at=now,
            expires_at=now + ttl,
        )
    )
    touch_supporter(session, supporter_id)
    return Reservation.OFFERED


async def _back_to_searching(
    session: AsyncSession,
    *,
    offer_id: uuid.UUID,
    request_id: uuid.UUID,
    supporter_id: uuid.UUID,
    status: OfferStatus,
    now: datetime,
) -> bool:
    """Close a pending offer with `status`, then reopen its request. False if it was not pending."""
    query = sa.update(Offer).where(col(Offer.id) == offer_id, col(Offer.status) == _PENDING)
    if status is OfferStatus.EXPIRED:
        query = query.where(col(Offer.expires_at) <= now)
    closed = await session.exec(query.values(status=OFFER(_PENDING, status), responded_at=now))
    if closed.rowcount != 1:
        return False
    touch_supporter(session, supporter_id)
    await session.exec(
        sa.update(SupportRequest)
        .where(col(SupportRequest.id) == request_id, col(SupportRequest.status) == _OFFERED)
        .values(status=REQUEST(_OFFERED, _SEARCHING), updated_at=now)
    )
    return True


async def expire_due_offers(
    session: AsyncSession, *, now: datetime, request_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Expire pending offers past their deadline (of one request, or all); returns the requests
    that are searching again, which the caller hands to the matchmaker after committing."""
    query = select(Offer.id, Offer.request_id, Offer.supporter_id).where(
        Offer.status == _PENDING, col(Offer.expires_at) <= now
    )
    if request_id is not None:
        query = query.where(Offer.request_id == request_id)
    reopened = []
    for offer_id, owner, supporter_id in (await session.exec(query.limit(500))).all():
        if await _back_to_searching(
            session, offer_id=offer_id, request_id=owner, supporter_id=supporter_id,
            status=OfferStatus.EXPIRED, now=now,
        ):  # fmt: skip
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
            Offer.status == _PENDING,
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
    expired = offer.status == _PENDING and offer.expires_at <= now
    status = OfferStatus.EXPIRED if expired else OfferStatus(offer.status)
    return Conflict(f"the offer is {status.value}")


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
            col(Offer.id) == offer_id, col(Offer.status) == _PENDING, col(Offer.expires_at) > now
        )
        .values(status=OFFER(_PENDING, OfferStatus.ACCEPTED), responded_at=now)
    )
    if taken.rowcount != 1:
        raise _not_pending(offer, now)
    matched = await session.exec(
        sa.update(SupportRequest)
        .where(col(SupportRequest.id) == offer.request_id, col(SupportRequest.status) == _OFFERED)
        .values(status=REQUEST(_OFFERED, RequestStatus.MATCHED), open_for=None, updated_at=now)
    )
    if matched.rowcount != 1:
        raise Conflict("the request is no longer waiting for you")
    touch_supporter(session, offer.supporter_id)  # a pending offer became a room
    await session.refresh(offer)
    return offer


async def decline_offer(
    session: AsyncSession, *, account: Account, offer_id: uuid.UUID, now: datetime
) -> Offer:
    """Decline a live offer; its request goes back to searching (the caller finds the next)."""
    offer = await _own_offer(session, account=account, offer_id=offer_id)
    if offer.status != _PENDING or offer.expires_at <= now:
        raise _not_pending(offer, now)
    if not await _back_to_searching(
        session, offer_id=offer.id, request_id=offer.request_id, supporter_id=offer.supporter_id,
        status=OfferStatus.DECLINED, now=now,
    ):  # fmt: skip
        raise _not_pending(offer, now)
    await session.refresh(offer)
    return offer
