"""The app's periodic jobs: the matchmaker's offer sweeper and batch window, the supporter pools'
refresh, moderation's escalation deadlines, and housekeeping
(forget what may no longer be used or kept: expired mailbox entries, franking records past the
report window, used or expired login challenges and tokens)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from server.accounts import auth
from server.config import Settings
from server.db.engine import Database
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
) -> list[Periodic]:
    """Every job the settings turn on (an interval of 0 turns one off)."""
    deadlines = escalation.deadlines(settings)
    jobs: list[tuple[str, float, Callable[[datetime], Awaitable[object]]]] = [
        ("offer-sweeper", settings.offer_sweep_seconds,
         lambda now: matchmaker.expire(db, now=now, settings=settings, notify=notify,
                                       source=source)),
        ("batch-window", settings.batch_window_seconds,
         lambda now: matchmaker.assign_pooled(db, now=now, settings=settings, notify=notify,
                                              source=source)),
        ("escalation", settings.moderation_poll_seconds,
         lambda now: escalation.escalate_due(db, now=now, deadlines=deadlines, notify=notify)),
        ("housekeeping", settings.relay_sweep_seconds,
         lambda now: sweep(db, now=now, settings=settings)),
    ]  # fmt: skip
    if source is not None:
        roster = source

        async def refresh(_now: datetime) -> None:
            roster.rebuild()

        jobs.append(("pool-refresh", settings.match_pool_refresh_seconds, refresh))
    return [
        Periodic(name, run, clock=clock, interval=interval)
        for name, interval, run in jobs
        if interval > 0
    ]
