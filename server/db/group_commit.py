"""Group commit: many small write transactions share one commit.

Every operation submitted while a commit is in flight joins the next batch, so under load one
commit (one fsync, one round trip) carries many operations, and with SQLite a single writer
never waits on its own process's other writers. Each caller still hears back only after the
commit that holds its operation: "persisted before acknowledged" is kept.

Contract for an operation: it validates before it writes. An operation that raises a
`ServiceError`-like *expected* error (listed in `expected`) must not have written anything; the
rest of its batch goes on. Any other error rolls the batch back, and every operation of it is
retried alone, so one bad operation cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from server.db.engine import Database

__all__ = ["GroupCommit"]

log = logging.getLogger(__name__)
T = TypeVar("T")
Operation = Callable[[AsyncSession], Awaitable[T]]


@dataclass
class _Job(Generic[T]):
    operation: Operation[T]
    done: asyncio.Future[T] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    def __init__(
        self, db: Database, *, expected: tuple[type[Exception], ...], max_batch: int = 256
    ) -> None:
        self._db = db
        self._expected = expected
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Job[Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="group-commit")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.done.done():
                job.done.set_exception(RuntimeError("the server is shutting down"))

    async def run(self, operation: Operation[T]) -> T:
        """Run `operation(session)` in the next batch; return once its batch is committed."""
        if self._task is None:  # not started (e.g. a script): commit alone
            return await self._alone(operation)
        job: _Job[T] = _Job(operation)
        self._queue.put_nowait(job)
        return await job.done

    async def _alone(self, operation: Operation[T]) -> T:
        async with self._db.session() as session:
            result = await operation(session)
            await session.commit()
            return result

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit(batch)
            except Exception as exc:  # the batch failed as a whole: isolate the culprit
                log.warning("group commit of %s failed (%s); retrying one by one",
                            len(batch), type(exc).__name__)  # fmt: skip
                for job in batch:
                    if job.done.done():
                        continue
                    try:
                        job.done.set_result(await self._alone(job.operation))
                    except Exception as error:
                        job.done.set_exception(error)

    async def _commit(self, batch: list[_Job[Any]]) -> None:
        outcomes: list[tuple[_Job[Any], Any, Exception | None]] = []
        async with self._db.session() as session:
            for job in batch:
                try:
                    outcomes.append((job, await job.operation(session), None))
                except self._expected as error:
                    outcomes.append((job, None, error))
            await session.commit()
        for job, result, failure in outcomes:
            if job.done.done():  # the caller went away
                continue
            if failure is not None:
                job.done.set_exception(failure)
            else:
                job.done.set_result(result)
