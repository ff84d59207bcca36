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
from datetime import datetime, timedelta

from matching.vocabulary import Urgency
from server.config import Settings
from server.db.engine import Database
from server.db.models import SupportRequest
from server.platform.notify import SILENT, Notifier
from server.support import offers, pool, requests
from server.support.states import RequestStatus

__all__ = ["assign_pooled", "expire", "find_supporter", "pooled"]

log = logging.getLogger(__name__)
_ROUNDS = 3
# A search takes milliseconds; one still searching after this was interrupted (e.g. a restart).
STALE_SEARCH = timedelta(seconds=30)


async def find_supporter(
    db: Database,
    *,
    request_id: uuid.UUID,
    now: datetime,
    settings: Settings,
    notify: Notifier = SILENT,
    source: pool.PoolSource | None = None,
) -> None:
    """Offer a searching request to the best candidate with capacity, else mark it unavailable.

    Candidates are tried best first; one at capacity (taken by a concurrent request) is skipped.
    Does nothing for a request that is not searching.
    """
    ttl = timedelta(seconds=settings.offer_ttl_seconds)
    for _ in range(_ROUNDS):
        async with db.session() as session:
            request = await session.get(SupportRequest, request_id)
            if request is None or request.status != RequestStatus.SEARCHING:
                return
            requester_id = request.requester_id
            candidates = await pool.rank_candidates(
                session, request=request, now=now, k=settings.match_candidates, source=source
            )
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
    async with db.session() as session:
        if await requests.give_up(session, request_id=request_id, now=now):
            await session.commit()
            log.info("request %s: no supporter available", request_id)
            await notify(requester_id, "request", request=request_id)


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
) -> int:
    """Expire due offers (of one request, or all) and offer their requests to the next
    candidate. Returns how many offers expired."""
    async with db.session() as session:
        reopened = await offers.expire_due_offers(session, now=now, request_id=request_id)
        await session.commit()
    for owner in reopened:
        log.info("offer for request %s expired; trying the next candidate", owner)
        await find_supporter(
            db, request_id=owner, now=now, settings=settings, notify=notify, source=source
        )
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
                db, request_id=owner, now=now, settings=settings, notify=notify, source=source
            )
    return len(reopened)


async def assign_pooled(
    db: Database,
    *,
    now: datetime,
    settings: Settings,
    notify: Notifier = SILENT,
    source: pool.PoolSource | None = None,
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
            db, request_id=request_id, now=now, settings=settings, notify=notify, source=source
        )
    if ids:
        log.info("batch window: %s pooled, %s assigned jointly", len(ids), offered)
    return offered

