"""Housekeeping: forget what may no longer be used or kept (expired mailbox entries, franking
records past the report window, used or expired login challenges and tokens)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from server import auth
from server.config import Settings
from server.db.engine import Database
from server.periodic import Periodic
from server.relay import mailbox

__all__ = ["housekeeping_jobs", "sweep"]

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


def housekeeping_jobs(
    db: Database, *, settings: Settings, clock: Callable[[], datetime]
) -> list[Periodic]:
    if settings.relay_sweep_seconds <= 0:
        return []
    job = Periodic(
        "housekeeping",
        lambda now: sweep(db, now=now, settings=settings),
        clock=clock,
        interval=settings.relay_sweep_seconds,
    )
    return [job]
