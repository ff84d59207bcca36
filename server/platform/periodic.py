"""Background work that runs every few seconds while the app runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

__all__ = ["Periodic"]

log = logging.getLogger(__name__)


class Periodic:
    """A background task that runs `job(now)` every `interval` seconds while the app runs."""

    def __init__(
        self,
        name: str,
        job: Callable[[datetime], Awaitable[object]],
        *,
        clock: Callable[[], datetime],
        interval: float,
    ) -> None:
        self.name = name
        self._job = job
        self._clock = clock
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._job(self._clock())
            except Exception as exc:  # keep running; the next round retries
                log.warning("%s failed: %s", self.name, type(exc).__name__)
