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
    "expire_waiting",
    "get_own_request",
    "give_up",
    "insert_request",
    "keep_looking",
    "new_request",
    "no_profile",
    "open_request",
    "pooled_requests",
    "resume_waiting",
    "stale_searching",
    "waiting_requests",
]

MAX_TOPICS = 5
_SEARCHING = RequestStatus.SEARCHING
_WAITING = RequestStatus.WAITING
_UNAVAILABLE = RequestStatus.UNAVAILABLE
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
    request = new_request(
        account=account, topics=topics, urgency=urgency, languages=languages,
        same_specialty_only=same_specialty_only, now=now,
    )  # fmt: skip
    if await session.get(Profile, account.id) is None:
        raise no_profile()
    await insert_request(session, request=request)
    return request


def new_request(
    *,
    account: Account,
    topics: Sequence[str],
    urgency: str,
    languages: Sequence[str] | None,
    same_specialty_only: bool,
    now: datetime,
) -> SupportRequest:
    """A checked, not yet saved request (status `searching`; `insert_request` saves it).
    Forbidden for a role that cannot ask, InvalidInput for bad topics, languages or urgency."""
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
        raise InvalidInput("urgency: one of " + ", ".join(u.value for u in Urgency)) from None
    return SupportRequest(
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


def no_profile() -> Conflict:
    """What asking without a profile gets."""
    return Conflict("set your profile (PUT /api/v1/profile) before asking for support")


async def insert_request(session: AsyncSession, *, request: SupportRequest) -> None:
    """Save a `new_request`. Conflict when the requester has an open request already."""
    session.add(request)
    try:
        # `open_for` is unique: a second open request fails here (no read first).
        await session.flush()
    except IntegrityError:
        raise Conflict(_ALREADY_OPEN) from None


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
    """No one can take the request now: `waiting` when the requester asked to keep looking
    (still open), else `unavailable` (closed). False if it was no longer searching."""
    request = await session.get(SupportRequest, request_id)
    if request is None:
        return False
    if request.keep_looking:
        values: dict[str, object] = {"status": REQUEST(_SEARCHING, _WAITING), "updated_at": now}
    else:
        values = {"status": REQUEST(_SEARCHING, _UNAVAILABLE), "open_for": None, "updated_at": now}
    updated = await session.exec(
        sa.update(SupportRequest)
        .where(col(SupportRequest.id) == request_id, col(SupportRequest.status) == _SEARCHING)
        .values(**values)
    )
    return updated.rowcount == 1


async def keep_looking(
    session: AsyncSession, *, account: Account, request_id: uuid.UUID, now: datetime
) -> SupportRequest:
    """ "Keep looking for me" on the caller's unavailable request: it opens again (`waiting`)
    and is retried when a supporter becomes free. `Conflict` when it is not unavailable or the
    caller has another open request; `NotFound` for anyone else's."""
    request = await get_own_request(session, account=account, request_id=request_id)
    status = RequestStatus(request.status)
    if status is _WAITING:
        return request  # asked twice: nothing changes
    if status is not _UNAVAILABLE:
        raise Conflict(f"the request is {status.value}; only an unavailable one can keep looking")
    try:
        updated = await session.exec(
            sa.update(SupportRequest)
            .where(col(SupportRequest.id) == request_id, col(SupportRequest.status) == status)
            .values(
                status=REQUEST(status, _WAITING),
                open_for=account.id,
                keep_looking=True,
                updated_at=now,
            )
        )
    except IntegrityError:
        raise Conflict(_ALREADY_OPEN) from None
    if updated.rowcount != 1:
        raise Conflict("the request changed meanwhile; read it again")
    await session.refresh(request)
    return request


async def waiting_requests(session: AsyncSession, *, limit: int = 100) -> list[uuid.UUID]:
    """Waiting requests, longest-waiting first."""
    query = (
        select(SupportRequest.id)
        .where(SupportRequest.status == _WAITING)
        .order_by(col(SupportRequest.updated_at))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def resume_waiting(session: AsyncSession, *, request_id: uuid.UUID, now: datetime) -> bool:
    """`waiting` → `searching`, to look again. False if it was no longer waiting."""
    updated = await session.exec(
        sa.update(SupportRequest)
        .where(col(SupportRequest.id) == request_id, col(SupportRequest.status) == _WAITING)
        .values(status=REQUEST(_WAITING, _SEARCHING), updated_at=now)
    )
    return updated.rowcount == 1


async def expire_waiting(
    session: AsyncSession, *, before: datetime, now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Requests opened before `before` and still waiting end `unavailable` (closed).
    Returns (request id, requester id) of each."""
    found = (
        await session.exec(
            select(SupportRequest.id, SupportRequest.requester_id).where(
                SupportRequest.status == _WAITING, col(SupportRequest.created_at) <= before
            )
        )
    ).all()
    ended = []
    for request_id, requester_id in found:
        updated = await session.exec(
            sa.update(SupportRequest)
            .where(col(SupportRequest.id) == request_id, col(SupportRequest.status) == _WAITING)
            .values(
                status=REQUEST(_WAITING, _UNAVAILABLE),
                open_for=None,
                keep_looking=False,
                updated_at=now,
            )
        )
        if updated.rowcount == 1:
            ended.append((request_id, requester_id))
    return ended


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
