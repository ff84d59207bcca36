"""Pub/sub: the fast path from the worker that accepted an envelope to the recipient's sockets.

The mailbox is the truth; pub/sub may lose a message (a full inbox, a Redis restart). Whenever it
might have, the affected inboxes receive `RESYNC`, and their connections sync from the mailbox.

Backends are chosen by URL, as in encode/broadcaster: `memory://` (one process) and `redis://`
(every worker subscribes to one channel and keeps the messages for accounts it serves).

What travels: plain frames (`bytes`, forwarded as they are: `notify`), `Sequenced` deliveries
(a `deliver` frame with the recipient's mailbox seq, so a socket can keep them in order and see a
gap), and `Control` messages for the sockets themselves (never forwarded: "end this session").

Besides inboxes per account, there are topics every worker hears (`broadcast` / `listen`), for
small "this changed" notes between workers' caches (e.g. the supporter pool), on a channel of
their own. A listener gets `RESYNC` when notes may have been lost, as an inbox does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

__all__ = [
    "RESYNC",
    "Control",
    "Inbox",
    "Item",
    "MemoryPubSub",
    "Message",
    "PubSub",
    "RedisPubSub",
    "Sequenced",
    "pubsub_from_url",
]

log = logging.getLogger(__name__)


class _Resync:
    def __repr__(self) -> str:
        return "RESYNC"


RESYNC: Final = _Resync()
"""Put in an inbox when messages may have been lost: sync from the mailbox."""


@dataclass(frozen=True, slots=True)
class Sequenced:
    """A mailbox delivery on the fast path: the recipient's `seq` and the frame to forward."""

    seq: int
    frame: bytes


@dataclass(frozen=True, slots=True)
class Control:
    """An instruction to an account's sockets on every worker (e.g. `session_ended`); the sockets
    act on it, the client never sees it. Values are strings (ids only)."""

    event: str
    data: Mapping[str, str] = field(default_factory=dict)


Message = bytes | Sequenced | Control
Item = Message | _Resync


class Inbox:
    """A bounded FIFO of `Item`s for one reader, with `asyncio.Queue`'s methods that the relay
    uses (`put_nowait` raises `asyncio.QueueFull`). Lighter than a `Queue` (which holds three
    deques and an event from the start): an idle inbox holds no buffer and no future, since every
    open socket keeps one for its whole life."""

    __slots__ = ("_items", "_waiter", "maxsize")

    def __init__(self, maxsize: int = 0) -> None:
        self.maxsize = maxsize
        self._items: deque[Item] | None = None  # made on the first put, dropped when emptied
        self._waiter: asyncio.Future[None] | None = None

    def qsize(self) -> int:
        return len(self._items) if self._items is not None else 0

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Item) -> None:
        if self._items is None:
            self._items = deque()
        elif 0 < self.maxsize <= len(self._items):
            raise asyncio.QueueFull
        self._items.append(item)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def get_nowait(self) -> Item:
        if not self._items:
            raise asyncio.QueueEmpty
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item

    async def get(self) -> Item:
        """The next item, waiting for one. One reader at a time."""
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self.get_nowait()


_RESYNC_ALL = b'{"resync":true}'


class PubSub(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, account: str, message: Message) -> None: ...
    async def publish_many(self, messages: Sequence[tuple[str, Message]]) -> None:
        """Publish in order, in one round trip where the backend can."""

    def subscribe(self, account: str) -> contextlib.AbstractContextManager[Inbox]: ...
    async def broadcast(self, topic: str, message: bytes) -> None: ...
    def listen(self, topic: str) -> contextlib.AbstractContextManager[Inbox]: ...


class _Fanout:
    """Local inboxes by account; never blocks a publisher."""

    def __init__(self, inbox_size: int) -> None:
        self.inbox_size = inbox_size
        self._inboxes: dict[str, set[Inbox]] = {}

    @contextmanager
    def subscribe(self, account: str) -> Iterator[Inbox]:
        inbox = Inbox(maxsize=self.inbox_size)
        self._inboxes.setdefault(account, set()).add(inbox)
        try:
            yield inbox
        finally:
            inboxes = self._inboxes.get(account)
            if inboxes is not None:
                inboxes.discard(inbox)
                if not inboxes:
                    del self._inboxes[account]

    def dispatch(self, account: str, message: Message) -> None:
        for inbox in self._inboxes.get(account, ()):
            try:
                inbox.put_nowait(message)
            except asyncio.QueueFull:
                # A slow reader: drop the fast path, keep the promise through the mailbox.
                _replace_with_resync(inbox)
                if isinstance(message, Control):
                    with contextlib.suppress(asyncio.QueueFull):
                        inbox.put_nowait(message)

    def resync_all(self) -> None:
        for inboxes in self._inboxes.values():
            for inbox in inboxes:
                _replace_with_resync(inbox)


def _replace_with_resync(inbox: Inbox) -> None:
    """Drop what the mailbox also holds; keep control messages (the mailbox does not)."""
    kept = []
    while not inbox.empty():
        item = inbox.get_nowait()
        if isinstance(item, Control):
            kept.append(item)
    inbox.put_nowait(RESYNC)
    for item in kept:
        with contextlib.suppress(asyncio.QueueFull):  # a tiny inbox: the periodic check remains
            inbox.put_nowait(item)


def _encode(account: str, message: Message) -> bytes:
    payload: dict[str, Any] = {"to": account}
    if isinstance(message, Control):
        payload["c"], payload["d"] = message.event, dict(message.data)
    elif isinstance(message, Sequenced):
        payload["m"], payload["seq"] = message.frame.decode(), message.seq
    else:
        payload["m"] = message.decode()
    return json.dumps(payload).encode()


def _decode(raw: bytes) -> tuple[str, Message]:
    payload = json.loads(raw)
    if "c" in payload:
        return payload["to"], Control(payload["c"], payload.get("d", {}))
    frame = payload["m"].encode()
    if "seq" in payload:
        return payload["to"], Sequenced(int(payload["seq"]), frame)
    return payload["to"], frame


class MemoryPubSub:
    """One process: publish dispatches straight to local inboxes."""

    def __init__(self, *, inbox_size: int = 256) -> None:
        self._fanout = _Fanout(inbox_size)
        self._topics = _Fanout(inbox_size)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, account: str, message: Message) -> None:
        self._fanout.dispatch(account, message)

    async def publish_many(self, messages: Sequence[tuple[str, Message]]) -> None:
        for account, message in messages:
            self._fanout.dispatch(account, message)

    def subscribe(self, account: str) -> contextlib.AbstractContextManager[Inbox]:
        return self._fanout.subscribe(account)

    async def broadcast(self, topic: str, message: bytes) -> None:
        self._topics.dispatch(topic, message)

    def listen(self, topic: str) -> contextlib.AbstractContextManager[Inbox]:
        return self._topics.subscribe(topic)


class RedisPubSub:
    """Across workers: every message goes through one Redis channel to every worker."""

    CHANNEL = "peerhaven:relay"
    TOPICS = "peerhaven:topics"  # notes between workers' caches, apart from the relay's traffic

    def __init__(self, url: str, *, inbox_size: int = 256, retry_seconds: float = 0.5) -> None:
        self._client = aioredis.from_url(url)
        self._fanout = _Fanout(inbox_size)
        self._topics = _Fanout(inbox_size)
        self._retry_seconds = retry_seconds
        self._reader: asyncio.Task[None] | None = None
        self._recovery: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="redis-pubsub-reader")
        # Wait briefly for the first subscription so early publishes are not missed; carry on
        # without it if Redis is down (the reader keeps trying, the mailbox keeps the promise).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=5)

    async def stop(self) -> None:
        for task in (self._reader, self._recovery):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._client.aclose()

    async def publish(self, account: str, message: Message) -> None:
        await self.publish_many([(account, message)])

    async def publish_many(self, messages: Sequence[tuple[str, Message]]) -> None:
        await self._publish(self.CHANNEL, [_encode(account, m) for account, m in messages])

    async def broadcast(self, topic: str, message: bytes) -> None:
        payload = json.dumps({"to": topic, "m": message.decode()}).encode()
        await self._publish(self.TOPICS, [payload])

    def listen(self, topic: str) -> contextlib.AbstractContextManager[Inbox]:
        return self._topics.subscribe(topic)

    async def _publish(self, channel: str, payloads: Sequence[bytes]) -> None:
        if not payloads:
            return
        # Twice: a connection that went stale while Redis restarted fails once, then the pool
        # hands out a fresh one. (A retried pipeline may publish some twice: sockets drop
        # repeats by seq, clients by id.)
        for _attempt in range(2):
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    for payload in payloads:
                        pipe.publish(channel, payload)
                    await pipe.execute()
                return
            except (RedisError, OSError) as exc:
                error = exc
        # The envelope is in the mailbox, but a live recipient on any worker may now miss it:
        # once Redis answers again, every worker is told to resync every inbox.
        log.warning("redis publish failed (%s); scheduling a resync", type(error).__name__)
        if self._recovery is None or self._recovery.done():
            self._recovery = asyncio.create_task(self._broadcast_resync(), name="redis-resync")

    async def _broadcast_resync(self) -> None:
        while True:
            try:
                await self._client.publish(self.CHANNEL, _RESYNC_ALL)
                return
            except (RedisError, OSError):
                await asyncio.sleep(self._retry_seconds)

    def subscribe(self, account: str) -> contextlib.AbstractContextManager[Inbox]:
        return self._fanout.subscribe(account)

    async def _read(self) -> None:
        while True:
            try:
                async with self._subscription() as messages:
                    # Whatever was published while we were not subscribed is only in the mailbox.
                    self._resync_all()
                    self._subscribed.set()
                    async for channel, raw in messages:
                        if raw == _RESYNC_ALL:
                            self._resync_all()
                            continue
                        if channel == self.TOPICS.encode():
                            note = json.loads(raw)
                            self._topics.dispatch(note["to"], note["m"].encode())
                        else:
                            self._fanout.dispatch(*_decode(raw))
            except (RedisError, OSError) as exc:
                self._subscribed.clear()
                log.warning("redis subscription lost (%s); retrying", type(exc).__name__)
                await asyncio.sleep(self._retry_seconds)

    def _resync_all(self) -> None:
        self._fanout.resync_all()
        self._topics.resync_all()

    @asynccontextmanager
    async def _subscription(self) -> AsyncIterator[AsyncIterator[tuple[bytes, bytes]]]:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.CHANNEL, self.TOPICS)

            async def messages() -> AsyncIterator[tuple[bytes, bytes]]:
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        yield message["channel"], message["data"]

            yield messages()
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]


def pubsub_from_url(url: str | None, *, inbox_size: int = 256) -> PubSub:
    """`memory://` (or None) → in-process; `redis://` / `rediss://` → Redis."""
    if url is None or url.startswith("memory://"):
        return MemoryPubSub(inbox_size=inbox_size)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisPubSub(url, inbox_size=inbox_size)
    raise ValueError(f"unsupported pub/sub URL scheme: {url.split(':', 1)[0]}")
