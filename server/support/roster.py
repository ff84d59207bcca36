"""The roster: each worker's supporters in memory, one `matching.SupporterPool` per network.

Ranking a request is then a scan of in-memory arrays (the library's speed) instead of reading
every supporter from the database. The database stays the truth for capacity: `offers.reserve`
counts the caps inside its own transaction, so a stale roster can cost a retry (the next
candidate), never an offer over a cap.

How the roster stays current:

- A network's pool is built once, on first use or by `warm` at startup, from plain rows; the
  conversion and the array building run in a thread (`asyncio.to_thread`), not on the loop.
- Every write that matters for matching calls `server.db.changes.touch_supporter(session, id)`
  in its transaction
  (profiles, supporter profile, availability, caps, offers made, accepted, declined, expired or
  cancelled, rooms closed or left, and, when moderation comes, suspensions). When the session
  commits, `server.db.changes` tells this worker's roster (the supporter becomes *dirty*), and
  the roster broadcasts a small note (`{"o": worker, "s": [ids]}`, no other data) on the
  `pool` pub/sub topic, so every other worker marks them dirty too.
- Before ranking, dirty supporters are re-read from the database (a fresh transaction, begun
  after they were marked, so it sees the change) and put into, or taken out of, their pool.
- Time is applied in memory: a pending offer stops counting at its expiry, and a time zone's
  offset is re-read each UTC hour (cached per zone and hour), for the supporters in that zone.
- If pub/sub may have lost notes (`RESYNC`), every pool is rebuilt in the background; ranking
  goes on with the old one meanwhile. Any supporter changed during a build is re-read after it.

Blocks are read per request (`pool.wanted_requests`): a block concerns one pair, not the pool.
Not thread-safe: one roster per worker, used from its event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import json
import logging
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.pool import SupporterPool
from server.db.changes import SUPPORTER
from server.db.engine import Database
from server.db.models import Institution
from server.platform.metrics import Metrics
from server.platform.pubsub import RESYNC, PubSub
from server.support.pool import (
    NO_LOAD,
    Load,
    load_details,
    matchable,
    supporter_rows,
    to_supporter,
)
from server.support.profiles import utc_offset_minutes

__all__ = ["TOPIC", "Roster"]

log = logging.getLogger(__name__)

TOPIC = "pool"  # the pub/sub topic between workers
_RELOAD_CHUNK = 500  # ids per query when re-reading dirty supporters


class _Network:
    """One network's pool and what the roster needs to keep it current without the database."""

    def __init__(self, network_id: uuid.UUID, now: datetime) -> None:
        self.network_id = network_id
        self.pool = SupporterPool([])
        self.rows: dict[uuid.UUID, sa.Row[Any]] = {}
        self.loads: dict[uuid.UUID, Load] = {}
        self.zones: dict[str, set[uuid.UUID]] = {}
        self.offsets: dict[str, int] = {}
        self.expiries: list[tuple[datetime, uuid.UUID]] = []  # a heap of pending-offer expiries
        self.hour = _hour(now)

    @classmethod
    def build(
        cls,
        network_id: uuid.UUID,
        rows: Sequence[sa.Row[Any]],
        loads: dict[uuid.UUID, Load],
        now: datetime,
    ) -> _Network:
        """Everything at once (runs in a thread: touches nothing shared)."""
        network = cls(network_id, now)
        records = []
        for row in rows:
            load = loads.get(row.id, NO_LOAD)
            network._remember(row, load, now)
            records.append(to_supporter(row, load, now=now))
        network.pool = SupporterPool(records)
        return network

    def __len__(self) -> int:
        return len(self.rows)

    def _remember(self, row: sa.Row[Any], load: Load, now: datetime) -> None:
        self.rows[row.id] = row
        self.loads[row.id] = load
        self.zones.setdefault(row.time_zone, set()).add(row.id)
        self.offsets.setdefault(row.time_zone, utc_offset_minutes(row.time_zone, now=now))
        for expires in load.pending:
            if expires > now:
                heapq.heappush(self.expiries, (expires, row.id))

    def put(self, row: sa.Row[Any], load: Load, now: datetime) -> None:
        """Add or replace one supporter (replacing keeps their row in the pool)."""
        self._forget(row.id)
        self._remember(row, load, now)
        self.pool.put(to_supporter(row, load, now=now))

    def discard(self, supporter_id: uuid.UUID) -> None:
        if self._forget(supporter_id):
            self.pool.remove(str(supporter_id))

    def _forget(self, supporter_id: uuid.UUID) -> bool:
        # Stale heap entries stay: `advance` recomputes from the current load, so they are moot.
        row = self.rows.pop(supporter_id, None)
        if row is None:
            return False
        self.loads.pop(supporter_id, None)
        zone = self.zones.get(row.time_zone)
        if zone is not None:
            zone.discard(supporter_id)
        return True

    def advance(self, now: datetime) -> None:
        """Apply the passing of time: expired offers and time-zone offset changes."""
        while self.expiries and self.expiries[0][0] <= now:
            _expires, supporter_id = heapq.heappop(self.expiries)
            load = self.loads.get(supporter_id)
            if load is not None and str(supporter_id) in self.pool:
                self._set(supporter_id, current_load=min(load.current(now), 1000))
        hour = _hour(now)
        if hour == self.hour:
            return
        self.hour = hour
        for zone, members in self.zones.items():
            offset = utc_offset_minutes(zone, now=now)
            if offset != self.offsets.get(zone):
                self.offsets[zone] = offset
                for supporter_id in members:
                    self._set(supporter_id, utc_offset_minutes=offset)

    def _set(self, supporter_id: uuid.UUID, **changes: Any) -> None:
        record = self.pool.supporter(str(supporter_id))
        if any(getattr(record, name) != value for name, value in changes.items()):
            self.pool.put(dataclasses.replace(record, **changes))


def _hour(now: datetime) -> int:
    return int(now.timestamp()) // 3600


class Roster:
    """The worker's supporter pools by network. `start` before use, `stop` at shutdown."""

    def __init__(
        self,
        db: Database,
        pubsub: PubSub,
        *,
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self._pubsub = pubsub
        self._clock = clock
        self._metrics = metrics
        if metrics is not None:
            metrics.watch_pool(lambda: sum(len(n) for n in self._networks.values()))
        self._origin = uuid.uuid4().hex  # this worker, so it skips its own notes
        self._networks: dict[uuid.UUID, _Network] = {}
        self._network_of: dict[uuid.UUID, uuid.UUID] = {}
        self._builds: dict[uuid.UUID, asyncio.Task[_Network]] = {}
        self._seen_while_building: dict[uuid.UUID, set[uuid.UUID]] = {}
        self._dirty: set[uuid.UUID] = set()
        self._reloading = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._unsubscribe: Any = None

    def __repr__(self) -> str:
        sizes = {str(k): len(v) for k, v in self._networks.items()}
        return f"<Roster networks={sizes} dirty={len(self._dirty)}>"

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen to this database's commits and to other workers' notes."""
        self._unsubscribe = self._db.changes.subscribe(SUPPORTER, self._committed)
        ready = asyncio.Event()
        self._listener = asyncio.create_task(self._listen(ready), name="roster-listener")
        await ready.wait()

    def warm(self) -> None:
        """Build every network's pool in the background (each network once, in turn)."""
        self._spawn(self._warm(self._clock()), "roster-warm")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        tasks = [t for t in (self._listener, *self._tasks, *self._builds.values()) if t]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._listener = None

    # -- what ranking asks for ---------------------------------------------------------------

    async def pool(self, *, network_id: uuid.UUID, now: datetime) -> SupporterPool:
        """The network's pool, current as of `now`: built if need be, dirty supporters re-read,
        expired offers and offset changes applied. Rank on it before the next await."""
        network = self._networks.get(network_id)
        if network is None:
            network = await self._build(network_id, now)
        await self._reload(now)
        network = self._networks.get(network_id, network)  # a rebuild may have replaced it
        network.advance(now)
        return network.pool

    def stale(self, supporter_id: uuid.UUID) -> None:
        """Re-read this supporter before the next ranking (e.g. a reservation found them full)."""
        self._dirty.add(supporter_id)
        if self._metrics is not None:
            self._metrics.pool_stale.inc()

    def rebuild(self) -> None:
        """Rebuild every pool in the background (notes may have been lost); ranking goes on
        with the old pools until the new ones are ready."""
        now = self._clock()
        for network_id in list(self._networks):
            if network_id not in self._builds:
                self._start_build(network_id, now)

    def size(self, network_id: uuid.UUID) -> int:
        """Supporters in the network's pool (0 when it is not built)."""
        network = self._networks.get(network_id)
        return 0 if network is None else len(network)

    # -- building ----------------------------------------------------------------------------

    async def _warm(self, now: datetime) -> None:
        async with self._db.session() as session:
            networks = (await session.exec(select(Institution.network_id).distinct())).all()
        for network_id in networks:
            if network_id not in self._networks:
                await self._build(network_id, now)

    async def _build(self, network_id: uuid.UUID, now: datetime) -> _Network:
        task = self._builds.get(network_id)
        if task is None:
            task = self._start_build(network_id, now)
        return await asyncio.shield(task)

    def _start_build(self, network_id: uuid.UUID, now: datetime) -> asyncio.Task[_Network]:
        self._seen_while_building[network_id] = set()
        task = asyncio.create_task(self._read_network(network_id, now), name="roster-build")
        self._builds[network_id] = task
        task.add_done_callback(lambda done: self._built(network_id, done))
        return task

    async def _read_network(self, network_id: uuid.UUID, now: datetime) -> _Network:
        started = time.perf_counter()
        async with self._db.session() as session:
            rows = await supporter_rows(session, network_id=network_id)
            loads = await load_details(session, now=now)
        network = await asyncio.to_thread(_Network.build, network_id, rows, loads, now)
        if self._metrics is not None:
            self._metrics.pool_build_seconds.observe(time.perf_counter() - started)
        log.info("supporter pool of network %s built: %s supporters", network_id, len(network))
        return network

    def _built(self, network_id: uuid.UUID, task: asyncio.Task[_Network]) -> None:
        self._builds.pop(network_id, None)
        seen = self._seen_while_building.pop(network_id, set())
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.warning("supporter pool of network %s failed to build (%s)",
                        network_id, type(error).__name__)  # fmt: skip
            return
        network = task.result()
        old = self._networks.get(network_id)
        if old is not None:
            for supporter_id in old.rows:
                self._network_of.pop(supporter_id, None)
        for supporter_id in network.rows:
            self._network_of[supporter_id] = network_id
        self._networks[network_id] = network
        # Changed after the build read its rows, maybe: read them again.
        self._dirty |= seen

    # -- keeping current ---------------------------------------------------------------------

    def _committed(self, ids: frozenset[uuid.UUID]) -> None:
        self._dirty |= ids
        note = json.dumps({"o": self._origin, "s": sorted(str(i) for i in ids)}).encode()
        self._spawn(self._pubsub.broadcast(TOPIC, note), "roster-note")

    async def _listen(self, ready: asyncio.Event) -> None:
        with self._pubsub.listen(TOPIC) as inbox:
            ready.set()
            while True:
                message = await inbox.get()
                if message is RESYNC:
                    log.info("pool notes may have been lost; rebuilding the supporter pools")
                    self.rebuild()
                    continue
                assert isinstance(message, bytes)
                try:
                    note = json.loads(message)
                    if note["o"] == self._origin:
                        continue
                    self._dirty.update(uuid.UUID(i) for i in note["s"])
                    if self._metrics is not None:
                        self._metrics.pool_notes.inc()
                except (ValueError, KeyError, TypeError):
                    log.warning("ignored a malformed pool note")

    async def _reload(self, now: datetime) -> None:
        if not self._dirty:
            return
        async with self._reloading:
            if not self._dirty:
                return
            ids, self._dirty = self._dirty, set()
            try:
                # A fresh transaction, begun after the ids were taken: it sees their changes.
                async with self._db.session() as session:
                    rows, loads = await _read(session, ids, now=now)
            except BaseException:
                self._dirty |= ids
                raise
            self._apply(ids, rows, loads, now)
            if self._metrics is not None:
                self._metrics.pool_reloads.inc(len(ids))

    def _apply(
        self,
        ids: Iterable[uuid.UUID],
        rows: dict[uuid.UUID, sa.Row[Any]],
        loads: dict[uuid.UUID, Load],
        now: datetime,
    ) -> None:
        for supporter_id in ids:
            row = rows.get(supporter_id)
            now_in = row.network_id if row is not None and matchable(row) else None
            was_in = self._network_of.get(supporter_id)
            for building in (was_in, now_in):
                seen = self._seen_while_building.get(building) if building else None
                if seen is not None:
                    seen.add(supporter_id)
            if was_in is not None and was_in != now_in:
                self._networks[was_in].discard(supporter_id)
                del self._network_of[supporter_id]
            target = self._networks.get(now_in) if now_in is not None else None
            if row is None or target is None:
                continue  # not matchable, or its network is not built (a build reads it fresh)
            target.put(row, loads.get(supporter_id, NO_LOAD), now)
            self._network_of[supporter_id] = target.network_id

    def _spawn(self, coroutine: Any, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _read(
    session: AsyncSession, ids: Collection[uuid.UUID], *, now: datetime
) -> tuple[dict[uuid.UUID, sa.Row[Any]], dict[uuid.UUID, Load]]:
    rows: dict[uuid.UUID, sa.Row[Any]] = {}
    loads: dict[uuid.UUID, Load] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), _RELOAD_CHUNK):
        chunk = ordered[start : start + _RELOAD_CHUNK]
        rows.update((r.id, r) for r in await supporter_rows(session, ids=chunk))
        loads.update(await load_details(session, now=now, ids=chunk))
    return rows, loads
