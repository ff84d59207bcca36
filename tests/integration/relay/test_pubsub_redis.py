"""The Redis backend against a real Redis: across instances, and across a Redis restart."""

from __future__ import annotations

import asyncio

from server.platform.pubsub import RESYNC, RedisPubSub
from tests.services import RedisServer


async def _next(inbox: asyncio.Queue[object], timeout: float = 5.0) -> object:
    return await asyncio.wait_for(inbox.get(), timeout)


async def test_two_instances_deliver_to_each_other(redis_server: RedisServer) -> None:
    worker_a, worker_b = RedisPubSub(redis_server.url), RedisPubSub(redis_server.url)
    await worker_a.start()
    await worker_b.start()
    try:
        with worker_b.subscribe("bob") as inbox:
            while not inbox.empty():
                inbox.get_nowait()
            await worker_a.publish("bob", b'{"n":1}')
            await worker_a.publish("carol", b'{"n":2}')
            assert await _next(inbox) == b'{"n":1}'
            await asyncio.sleep(0.1)
            assert inbox.empty()
    finally:
        await worker_a.stop()
        await worker_b.stop()


async def test_redis_restart_resyncs_inboxes_and_delivery_resumes(
    redis_server: RedisServer,
) -> None:
    publisher, worker = (
        RedisPubSub(redis_server.url),
        RedisPubSub(redis_server.url, retry_seconds=0.1),
    )
    await publisher.start()
    await worker.start()
    try:
        with worker.subscribe("bob") as inbox:
            while not inbox.empty():
                inbox.get_nowait()
            redis_server.stop()
            await publisher.publish("bob", b"lost")  # logged, not raised: the mailbox has it
            redis_server.start()
            assert await _next(inbox, timeout=15) is RESYNC
            for _ in range(100):  # the publisher's pool reconnects on its next command
                await publisher.publish("bob", b"after")
                try:
                    got = await _next(inbox, timeout=0.2)
                except TimeoutError:
                    continue
                if got == b"after":
                    break
            else:
                raise AssertionError("delivery did not resume after the Redis restart")
    finally:
        await publisher.stop()
        await worker.stop()


async def test_topics_cross_workers_apart_from_inboxes_and_resync_on_restart(
    redis_server: RedisServer,
) -> None:
    one, two = RedisPubSub(redis_server.url), RedisPubSub(redis_server.url, retry_seconds=0.1)
    await one.start()
    await two.start()
    try:
        with two.listen("pool") as notes, two.subscribe("pool") as inbox:
            while not notes.empty():
                notes.get_nowait()
            while not inbox.empty():
                inbox.get_nowait()
            await one.broadcast("pool", b'{"s":["x"]}')
            await one.publish("pool", b"an envelope for an account named pool")
            assert await _next(notes) == b'{"s":["x"]}'
            assert await _next(inbox) == b"an envelope for an account named pool"
            assert notes.empty()
            redis_server.stop()
            redis_server.start()
            # Notes may have been lost while the subscription was down: the listener is told.
            assert await _next(notes, timeout=15) is RESYNC
    finally:
        await one.stop()
        await two.stop()
