"""Periodic jobs survive a failing run and stop cleanly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from server.platform.periodic import Periodic


async def test_periodic_jobs_survive_failures_and_stop() -> None:
    calls: list[datetime] = []

    async def job(now: datetime) -> None:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("the database blinked")

    moment = datetime(2026, 1, 1, tzinfo=UTC)
    periodic = Periodic("test-job", job, clock=lambda: moment, interval=0.01)
    periodic.start()
    for _ in range(200):
        if len(calls) >= 3:
            break
        await asyncio.sleep(0.01)
    await periodic.stop()
    seen = len(calls)
    assert seen >= 3 and calls[0] == moment
    await asyncio.sleep(0.05)
    assert len(calls) == seen  # stopped means stopped
