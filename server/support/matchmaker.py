"""The matchmaker: owns the transactions that move a request from one supporter to the next.

`requests`, `offers` and `pool` hold the steps (each inside the caller's transaction); this
module runs them, one short transaction per step, so that a reservation is always the first write
of a fresh transaction. Offer expiry is lazy (`expire`, called when a requester reads their
request or anyone acts on it) and also swept periodically by the `offer-sweeper` job, so a
request moves on even if nobody looks.

Ranking reads the pool from `source` (the worker's `roster.Roster`, in memory); without one it
reads the network's supporters from the database each time (tools and tests only: slow).

With `batch_window_seconds` set, routine requests are not matched one by one: they wait (status
`searching`) for the next window, which assigns them jointly (`assign_pooled`). Soon and urgent
requests are always matched at once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from matching.vocabulary import Urgency
from server.config import Settings
from server.db.engine import Database
from server.db.models import SupportRequest
from server.platform.notify import SILENT, Notifier
from server.support import offers, pool, requests
from server.support.states import RequestStatus

__all__ = [
    "Forward",
    "assign_pooled",
    "expire",
    "find_supporter",
    "open_and_offer",
    "pooled",
    "retry_waiting",
]

log = logging.getLogger(__name__)
_ROUNDS = 3
# A search takes milliseconds; one still searching after this was interrupted (e.g. a restart).
STALE_SEARCH = timedelta(seconds=30)

Forward = Callable[[uuid.UUID, float | None], Awaitable[bool]]
"""Where a request goes when the home network cannot serve it well (`server.federation`):
called with the best local score when it is below `federation_forward_below_score`, or None
when no local supporter is feasible; True means the request went elsewhere and the matchmaker
stops."""


async def find_supporter(
    db: Database,
    *,
    request_id: uuid.UUID,
    now: datetime,
    settings: Settings,
    notify: Notifier = SILENT,
    source: pool.PoolSource | None = None,
    forward: Forward | None = None,
) -> None:
    """Offer a searching request to the best candidate with capacity, else (after `forward`,
    when given, declined it) mark it unavailable.

    Candidates are tried best first; one at capacity (taken by a concurrent request) is skipped.
    Does nothing for a request that is not searching.
    """
    ttl = timedelta(seconds=settings.offer_ttl_seconds)
    asked = forward is None
    for _ in range(_ROUNDS):
        async with db.session() as session:
            # The request, its requester's profile and network, in one read with its status.
            wanted = (await pool.wanted_requests(session, ids=[request_id], now=now)).get(
                request_id
            )
            if wanted is None or wanted.status != RequestStatus.SEARCHING:
                return
            requester_id = wanted.requester_id
            candidates = await pool.rank_candidates(
                session, request=wanted, now=now, k=settings.match_candidates, source=source
            )
        below = settings.federation_forward_below_score
        if not asked and candidates and candidates[0].score < below:
            asked = True
            assert forward is not None
            if await forward(request_id, candidates[0].score):
                return
        if not candidates:
            break
        for candidate in candidates:
            async with db.session() as session:
                outcome = await offers.reserve(
                    session, request_id=request_id, candidate=candidate, now=now, ttl=ttl
                )
                if outcome is offers.Reservation.OFFERED:
                    await session.commit()
                    log.info("request %s offered (score %.2f)", request_id, candidate.score)
                    await notify(uuid.UUID(candidate.supporter_id), "offer")
                    await notify(requester_id, "request", request=request_id)
                    return
                await session.rollback()
            if outcome is offers.Reservation.REQUEST_CLOSED:
                return
            if source is not None:  # the pool thought they had room: it is behind
                source.stale(uuid.UUID(candidate.supporter_id))
    if not asked:
        assert forward is not None
        if await forward(request_id, None):
            return
    async with db.session() as session:
        if await requests.give_up(session, request_id=request_id, now=now):
            await session.commit()
            log.info("request %s: no supporter available", request_id)
            await notify(requester_id, "request", request=request_id)


async def open_and_offer(
    db: Database,
    session: AsyncSession,
    *,
    request: SupportRequest,
    now: datetime,
    settings: Settings,
    notify: Notifier = SILENT,
    source: pool.PoolSource | None = None,
    forward: Forward | None = None,
) -> datetime | None:
    """Save a `requests.new_request` and offer it to the best candidate, in the caller's
    session and one commit (which this function makes); returns the offer's expiry, or None
    when the first candidate could not be reserved, in which case the request was saved
    searching and `find_supporter` went on as usual.

    Ranking comes first, before the transaction writes anything (so no lock is held while the
    pool catches up), then the request is inserted and the reservation follows in the same
    transaction: the database still decides capacity (`offers.reserve`), and a failed
    reservation leaves nothing but its lock bump, so the request is committed either way.
    Conflict when the requester has no profile or an open request.
    """
    wanted = await pool.wanted_new(session, request=request, now=now)
    if wanted is None:
        raise requests.no_profile()
    candidates = await pool.rank_candidates(
        session, request=wanted, now=now, k=settings.match_candidates, source=source
    )
    await requests.insert_request(session, request=request)
    best = candidates[0] if candidates else None
    # A low best score goes the federation's way first: that is `find_supporter`'s business.
    if best is not None and (
        forward is None or best.score >= settings.federation_forward_below_score
    ):
        ttl = timedelta(seconds=settings.offer_ttl_seconds)
        outcome = await offers.reserve(
            session, request_id=request.id, candidate=best, now=now, ttl=ttl
        )
        await session.commit()
        if outcome is offers.Reservation.OFFERED:
            log.info("request %s offered (score %.2f)", request.id, best.score)
            await notify(uuid.UUID(best.supporter_id), "offer")
            await notify(request.requester_id, "request", request=request.id)
            return now + ttl
        if source is not None:  # the pool thought they had room: it is behind
            source.stale(uuid.UUID(best.supporter_id))
    else:
        await session.commit()
    await find_supporter(
        db, request_id=request.id, now=now, settings=settings, notify=notify, source=source,
        forward=forward,
    )  # fmt: skip
    return None


async def retry_waiting(
    db: Database,
    *,
    now: datetime,
    settings: Settings,
    notify: Notifier = SILENT,
    source: pool.PoolSource | None = None,
) -> int:
    """Look again for every waiting request ("keep looking for me"), longest-waiting first:
    called when a supporter may have become free (availability switched on, a room ended) and
    by the `waiting-retry` job. Requests waiting longer than `waiting_max_seconds` end
    unavailable. Returns how many requests were looked at."""
    async with db.session() as session:
        ended = await requests.expire_waiting(
            session, before=now - timedelta(seconds=settings.waiting_max_seconds), now=now
        )
        await session.commit()
    for request_id, requester_id in ended:
        log.info("request %s waited too long; closed", request_id)
        await notify(requester_id, "request", request=request_id)
    async with db.session() as session:
        waiting = await requests.waiting_requests(session)
    tried = 0
    for request_id in waiting:
        async with db.session() as session:
            if not await requests.resume_waiting(session, request_id=request_id, now=now):
                continue
            await session.commit()
        tried += 1
        await find_supporter(
            db, request_id=request_id, now=now, settings=settings, notify=notify, source=source
        )
    return tried


def pooled(settings: Settings, urgency: str) -> bool:
    """Whether a new request with `urgency` waits for the batch window."""
    return settings.batch_window_seconds > 0 and urgency == Urgency.ROUTINE


async def expire(
    db: Database,
    *,
    now: datetime,
    settings: Settings,
    request_id: uuid.UUID | None = None,
    notify: Notifier = SILENT,
    source: pool.PoolSource | None = None,
    forward: Forward | None = None,
) -> int:
    """Expire due offers (of one request, or all) and offer their requests to the next
    candidate. Returns how many offers expired."""
    async with db.session() as session:
        reopened = await offers.expire_due_offers(session, now=now, request_id=request_id)
        await session.commit()
    for owner in reopened:
        log.info("offer for request %s expired; trying the next candidate", owner)
        await find_supporter(
            db, request_id=owner, now=now, settings=settings, notify=notify, source=source,
            forward=forward,
        )  # fmt: skip
    if request_id is None:
        async with db.session() as session:
            stale = await requests.stale_searching(
                session,
                before=now - STALE_SEARCH,
                include_routine=settings.batch_window_seconds == 0,
            )
        for owner in stale:
            log.info("request %s was left searching; searching again", owner)
            await find_supporter(
                db, request_id=owner, now=now, settings=settings, notify=notify, source=source,
                forward=forward,
            )  # fmt: skip
    return len(reopened)


async def assign_pooled(
    db: Database,
    *,
    now: datetime,
    settings: Settings,
    notify: Notifier = SILENT,
    source: pool.PoolSource | None = None,
    forward: Forward | None = None,
) -> int:
    """Assign the pooled (routine, searching) requests jointly with the batch optimiser, then
    reserve each assignment like an online offer. A request the window leaves unassigned, or
    whose supporter filled up meanwhile, goes through `find_supporter`. Returns offers made."""
    async with db.session() as session:
        pooled = await requests.pooled_requests(session)
        ids = [r.id for r in pooled]
        chosen = await pool.assign_window(session, requests=pooled, now=now, source=source)
    ttl = timedelta(seconds=settings.offer_ttl_seconds)
    offered, left = 0, [i for i in ids if i not in chosen]
    # Joint assignments first: the online fallback must not take their supporters.
    for request_id, candidate in chosen.items():
        async with db.session() as session:
            outcome = await offers.reserve(
                session, request_id=request_id, candidate=candidate, now=now, ttl=ttl
            )
            if outcome is offers.Reservation.OFFERED:
                await session.commit()
                offered += 1
                await notify(uuid.UUID(candidate.supporter_id), "offer")
                continue
            await session.rollback()
        if source is not None and outcome is offers.Reservation.SUPPORTER_FULL:
            source.stale(uuid.UUID(candidate.supporter_id))
        left.append(request_id)
    for request_id in left:
        await find_supporter(
            db, request_id=request_id, now=now, settings=settings, notify=notify, source=source,
            forward=forward,
        )  # fmt: skip
    if ids:
        log.info("batch window: %s pooled, %s assigned jointly", len(ids), offered)
    return offered
