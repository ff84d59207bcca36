"""Support requests: opening, reading, cancelling, and the queries the matchmaker needs.

The states and their moves are in `server.support.states`; offers in `server.support.offers`.
Every function takes the caller's session and never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.errors import InvalidRequest, MatchingError
from matching.vocabulary import Urgency, parse_languages, parse_topics
from server.db.changes import touch_supporter
from server.db.models import Account, Offer, Profile, SupportRequest
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.support.profiles import CAN_ASK, matching_input
from server.support.states import OFFER, OPEN_REQUEST, REQUEST, OfferStatus, RequestStatus

__all__ = [
    "cancel_request",
    "get_own_request",
    "give_up",
    "open_request",
    "pooled_requests",
    "stale_searching",
]

MAX_TOPICS = 5
_SEARCHING = RequestStatus.SEARCHING
_ALREADY_OPEN = "you already have an open support request; cancel it to ask again"


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
        parsed_languages = sorted(parse_languages(languages)) if languages else []
    except MatchingError as exc:
        field = "languages" if isinstance(exc, InvalidRequest) else "topics"
        raise matching_input(field, exc) from None
    try:
        parsed_urgency = Urgency(urgency)
    except ValueError:
        raise InvalidInput(
            "urgency: one of " + ", ".join(u.value for u in Urgency)
        ) from None
    if await session.get(Profile, account.id) is None:
        raise Conflict("set your profile (PUT /api/v1/profile) before asking for support")
    existing = await session.exec(
        select(SupportRequest.id).where(SupportRequest.open_for == account.id)
    )
    if existing.first() is not None:
        raise Conflict(_ALREADY_OPEN)
    request = SupportRequest(
        requester_id=account.id,
        open_for=account.id,
        status=_SEARCHING,
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
        raise Conflict(_ALREADY_OPEN) from None
    return request


async def get_own_request(
    session: AsyncSession, *, account: Account, request_id: uuid.UUID
) -> SupportRequest:
    """The caller's request; NotFound for anyone else's (existence is not revealed)."""
    request = await session.get(SupportRequest, request_id)
    if request is None or request.requester_id != account.id:
        raise NotFound("no such support request")
    return request


async def cancel_request(
    session: AsyncSession, *, account: Account, request_id: uuid.UUID, now: datetime
) -> SupportRequest:
    """Cancel an open request, releasing a pending offer. Conflict once it is closed."""
    request = await get_own_request(session, account=account, request_id=request_id)
    status = RequestStatus(request.status)
    if status not in OPEN_REQUEST:
        raise Conflict(f"the request is {status.value} and can no longer be cancelled")
    # Offer before request: the lock order of `server.support.offers`.
    pending = OfferStatus.PENDING
    holders = await session.exec(
        select(Offer.supporter_id).where(Offer.request_id == request_id, Offer.status == pending)
    )
    for supporter_id in holders.all():  # their capacity is released
        touch_supporter(session, supporter_id)
    await session.exec(
        sa.update(Offer)
        .where(col(Offer.request_id) == request_id, col(Offer.status) == pending)
        .values(status=OFFER(pending, OfferStatus.CANCELLED), responded_at=now)
    )
    updated = await session.exec(
        sa.update(SupportRequest)
        .where(col(SupportRequest.id) == request_id, col(SupportRequest.status) == status)
        .values(status=REQUEST(status, RequestStatus.CANCELLED), open_for=None, updated_at=now)
    )
    if updated.rowcount != 1:  # matched (or moved on) meanwhile; the caller rolls back
        raise Conflict("the request was matched meanwhile and can no longer be cancelled")
    await session.refresh(request)
    return request


async def give_up(session: AsyncSession, *, request_id: uuid.UUID, now: datetime) -> bool:
    """No one can take the request: `unavailable`, closed. False if it was no longer searching."""
    updated = await session.exec(
        sa.update(SupportRequest)
        .where(col(SupportRequest.id) == request_id, col(SupportRequest.status) == _SEARCHING)
        .values(
            status=REQUEST(_SEARCHING, RequestStatus.UNAVAILABLE), open_for=None, updated_at=now
        )
    )
    return updated.rowcount == 1


async def stale_searching(
    session: AsyncSession, *, before: datetime, include_routine: bool, limit: int = 100
) -> list[uuid.UUID]:
    """Requests left searching since `before` (e.g. the server stopped mid-search)."""
    query = select(SupportRequest.id).where(
        SupportRequest.status == _SEARCHING, col(SupportRequest.updated_at) <= before
    )
    if not include_routine:
        query = query.where(SupportRequest.urgency != Urgency.ROUTINE.value)
    return list((await session.exec(query.limit(limit))).all())


async def pooled_requests(session: AsyncSession, *, limit: int = 1000) -> list[SupportRequest]:
    """Routine requests still searching: what a batch window assigns."""
    query = (
        select(SupportRequest)
        .where(SupportRequest.status == _SEARCHING, SupportRequest.urgency == Urgency.ROUTINE.value)
        .order_by(col(SupportRequest.created_at))
        .limit(limit)
    )
    return list((await session.exec(query)).all())
