"""The mailbox writer: group commit for the relay.

Every `send` and `ack` that arrives while a commit is in flight joins the next batch, and a batch
is a fixed handful of statements and one commit (one fsync, one round trip), however many
envelopes it carries. With SQLite, one writer per process also means the process's writers never
queue on the database lock. Each caller hears back only after the commit that holds its write:
"persisted before accepted" is kept. If a batch fails as a whole, each of its writes is retried
alone, so one bad write cannot fail its neighbours.

After each commit the writer publishes the batch's deliveries itself (a publisher task, in commit
order, while the next batch commits), whether or not the senders are still there to hear
`accepted`; and a sender hears `accepted` only once its delivery is published. So a sender whose
socket died after the commit no longer keeps the recipient waiting, and a worker that dies
between a commit and its publish has answered nobody: the sender re-sends elsewhere, and the
re-send publishes again (see `mailbox.Accepted`).

Not started (`relay_group_commit` off), it commits each write on its own, one at a time, and
publishes right after.

With `metrics`, each commit observes its batch size and duration, and the outcomes are counted
(envelopes accepted, duplicate or refused; acks); the queue depth is read at each scrape.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from server.db.engine import Database
from server.errors import ServiceError
from server.platform.metrics import Metrics
from server.platform.pubsub import Message, Sequenced
from server.relay import mailbox
from server.relay.frames import deliver_frame

__all__ = ["MailboxWriter"]

log = logging.getLogger(__name__)


def _future() -> asyncio.Future[object]:
    return asyncio.get_running_loop().create_future()


@dataclass
class _Send:
    submission: mailbox.Submission
    done: asyncio.Future[object] = field(default_factory=_future)


@dataclass
class _Ack:
    account_id: uuid.UUID
    ids: Sequence[uuid.UUID]
    done: asyncio.Future[object] = field(default_factory=_future)


Publish = Callable[[Sequence[tuple[str, Message]]], Awaitable[None]]


async def _nowhere(_messages: Sequence[tuple[str, Message]]) -> None:
    return None


@dataclass
class _Committed:
    """A committed batch's sends: to publish, then to answer."""

    sends: list[_Send]
    results: list[mailbox.Accepted | ServiceError]

    def answer(self) -> None:
        for job, result in zip(self.sends, self.results, strict=True):
            if job.done.done():  # the caller went away
                continue
            if isinstance(result, ServiceError):
                job.done.set_exception(result)
            else:
                job.done.set_result(result)


class MailboxWriter:
    def __init__(
        self,
        db: Database,
        *,
        server_secret: bytes,
        retention: timedelta,
        clock: Callable[[], datetime],
        max_batch: int = 256,
        publish: Publish = _nowhere,
        metrics: Metrics | None = None,
        on_accepted: Callable[[mailbox.Delivery], None] | None = None,
    ) -> None:
        """`on_accepted` sees each newly stored delivery after its commit (federation wakes its
        outbox with it when the recipient is on a peer node); it must not block."""
        self._db = db
        self._on_accepted = on_accepted
        self._secret = server_secret
        self._retention = retention
        self._clock = clock
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Send | _Ack] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._one_at_a_time = asyncio.Lock()
        self._publish = publish
        self._outgoing: asyncio.Queue[_Committed] = asyncio.Queue()
        self._publisher: asyncio.Task[None] | None = None
        self._metrics = metrics
        if metrics is not None:
            metrics.watch_writer_queue(self._queue.qsize)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mailbox-writer")
        self._publisher = asyncio.create_task(self._publish_all(), name="mailbox-publisher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._publisher is not None:
            # What is committed is in the mailbox; publishing the rest is only the fast path.
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
            self._publisher = None
        while not self._outgoing.empty():
            self._outgoing.get_nowait().answer()
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.done.done():
                job.done.set_exception(RuntimeError("the server is shutting down"))

    async def send(self, account_id: uuid.UUID, raw: str) -> mailbox.Accepted:
        """Persist one envelope; raises the `ServiceError` to answer when it is refused."""
        job = _Send(mailbox.Submission(account_id, raw))
        result = await self._submit(job)
        assert isinstance(result, mailbox.Accepted)
        return result

    async def ack(self, account_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
        await self._submit(_Ack(account_id, ids))

    async def _submit(self, job: _Send | _Ack) -> object:
        if self._task is None:
            async with self._one_at_a_time:
                await self._commit([job])
                while not self._outgoing.empty():
                    await self._publish_and_answer(self._outgoing.get_nowait())
        else:
            self._queue.put_nowait(job)
        return await job.done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit(batch)
            except Exception as exc:
                if self._metrics is not None:
                    self._metrics.relay_batch_failures.inc()
                log.warning("batch of %s failed (%s); retrying one by one",
                            len(batch), type(exc).__name__)  # fmt: skip
                for job in batch:
                    try:
                        await self._commit([job])
                    except Exception as error:
                        if not job.done.done():
                            job.done.set_exception(error)

    async def _publish_all(self) -> None:
        while True:
            await self._publish_and_answer(await self._outgoing.get())

    async def _publish_and_answer(self, committed: _Committed) -> None:
        messages: list[tuple[str, Message]] = []
        for result in committed.results:
            if isinstance(result, mailbox.Accepted) and result.entry is not None:
                delivery = result.entry
                frame = deliver_frame(delivery).model_dump_json().encode()
                messages.append((str(delivery.recipient_id), Sequenced(delivery.seq, frame)))
        if messages:
            try:
                await self._publish(messages)  # the whole batch in one round trip
            except Exception as exc:  # the mailbox has them; the recipients' next sync does
                log.warning("publish failed (%s)", type(exc).__name__)
        committed.answer()

    async def _commit(self, batch: Sequence[_Send | _Ack]) -> None:
        sends = [job for job in batch if isinstance(job, _Send)]
        acks = [job for job in batch if isinstance(job, _Ack)]
        started = time.perf_counter()
        async with self._db.session() as session:
            results: list[mailbox.Accepted | ServiceError] = []
            if sends:
                results = await mailbox.accept_batch(
                    session,
                    [job.submission for job in sends],
                    server_secret=self._secret,
                    retention=self._retention,
                    now=self._clock(),
                )
            await mailbox.acknowledge_batch(session, [(job.account_id, job.ids) for job in acks])
            await session.commit()
        if self._metrics is not None:
            self._observe(len(batch), time.perf_counter() - started, results, acks)
        for result in results:
            if self._on_accepted is not None and isinstance(result, mailbox.Accepted):
                if result.entry is not None:
                    self._on_accepted(result.entry)
        if sends:
            self._outgoing.put_nowait(_Committed(sends, results))
        for ack in acks:
            if not ack.done.done():
                ack.done.set_result(None)

    def _observe(
        self,
        size: int,
        seconds: float,
        results: Sequence[mailbox.Accepted | ServiceError],
        acks: Sequence[_Ack],
    ) -> None:
        metrics = self._metrics
        assert metrics is not None
        metrics.relay_batch_size.observe(size)
        metrics.relay_commit_seconds.observe(seconds)
        accepted = duplicate = refused = 0
        for result in results:
            if isinstance(result, ServiceError):
                refused += 1
            elif result.again:
                duplicate += 1
            else:
                accepted += 1
        envelopes = metrics.relay_envelopes
        for outcome, count in (
            ("accepted", accepted),
            ("duplicate", duplicate),
            ("refused", refused),
        ):
            if count:
                envelopes.labels(outcome).inc(count)
        acked = sum(len(ack.ids) for ack in acks)
        if acked:
            metrics.relay_acks.inc(acked)
