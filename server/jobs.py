"""The app's periodic jobs: the matchmaker's offer sweeper and batch window, the supporter pools'
refresh, moderation's escalation deadlines, federation's forwarding deadlines, the check-in
sweeper (offers due check-ins and reminders, exactly once), and housekeeping
(forget what may no longer be used or kept: expired mailbox entries, franking records past the
report window, used or expired login challenges and tokens, intake nonces past their window)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from server.accounts import auth
from server.checkins import intake as checkin_intake
from server.checkins import offers as checkin_offers
from server.config import Settings
from server.db.engine import Database
from server.federation import availability, forwarding, peering
from server.federation.forwarding import Forwarder
from server.federation.gateway import Gateway
from server.moderation import escalation
from server.platform.notify import SILENT, Notifier
from server.platform.periodic import Periodic
from server.relay import mailbox
from server.support import matchmaker
from server.support.roster import Roster

__all__ = ["periodic_jobs", "sweep"]

log = logging.getLogger(__name__)


async def sweep(db: Database, *, now: datetime, settings: Settings) -> None:
    async with db.session() as session:
        expired, forgotten = await mailbox.sweep(
            session, now=now, report_window=timedelta(seconds=settings.report_window_seconds)
        )
        await auth.purge_expired(session, now=now)
        await checkin_intake.purge_nonces(session, now=now)
        await peering.sweep_nonces(
            session, now=now, window=timedelta(seconds=settings.federation_signature_window_seconds)
        )
        await session.commit()
    if expired or forgotten:
        log.info("housekeeping: %s undelivered envelopes expired, %s franking records dropped",
                 expired, forgotten)  # fmt: skip


def periodic_jobs(
    db: Database,
    *,
    settings: Settings,
    clock: Callable[[], datetime],
    notify: Notifier = SILENT,
    source: Roster | None = None,
    federation: Gateway | None = None,
) -> list[Periodic]:
    """Every job the settings turn on (an interval of 0 turns one off); the federation jobs
    run when a `federation` gateway is given."""
    deadlines = escalation.deadlines(settings)
    forward = None if federation is None else Forwarder(db, federation)
    jobs: list[tuple[str, float, Callable[[datetime], Awaitable[object]]]] = [
        ("offer-sweeper", settings.offer_sweep_seconds,
         lambda now: matchmaker.expire(db, now=now, settings=settings, notify=notify,
                                       source=source, forward=forward)),
        ("batch-window", settings.batch_window_seconds,
         lambda now: matchmaker.assign_pooled(db, now=now, settings=settings, notify=notify,
                                              source=source, forward=forward)),
        ("escalation", settings.moderation_poll_seconds,
         lambda now: escalation.escalate_due(db, now=now, deadlines=deadlines, notify=notify)),
        ("checkin-sweeper", settings.checkin_sweep_seconds,
         lambda now: checkin_offers.fire_due(db, now=now, notify=notify)),
        ("waiting-retry", settings.waiting_retry_seconds,
         lambda now: matchmaker.retry_waiting(db, now=now, settings=settings, notify=notify,
                                              source=source)),
        ("housekeeping", settings.relay_sweep_seconds,
         lambda now: sweep(db, now=now, settings=settings)),
    ]  # fmt: skip
    if source is not None:
        roster = source

        async def refresh(_now: datetime) -> None:
            roster.rebuild()

        jobs.append(("pool-refresh", settings.match_pool_refresh_seconds, refresh))
    if federation is not None:
        gateway = federation
        jobs.append(("federation-availability", settings.federation_availability_seconds,
                     lambda now: availability.publish(db, gateway, now=now)))  # fmt: skip
        jobs.append(("federation-deadlines", settings.federation_forward_sweep_seconds,
                     lambda now: forwarding.fall_back(db, gateway, now=now, settings=settings,
                                                      notify=notify, source=source)))  # fmt: skip
    return [
        Periodic(name, run, clock=clock, interval=interval)
        for name, interval, run in jobs
        if interval > 0
    ]
