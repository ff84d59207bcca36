"""The federation outbox: what waits to travel to each peer node, and the workers that send it.

Two things enter it, in one order per peer (`position`):

* envelopes: an envelope the relay accepted for a stand-in waits in the mailbox like any other;
  `drain` moves it into the outbox (inserted and deleted in one transaction, idempotent by the
  mailbox id), so "persisted before accepted" holds and nothing accepted is lost;
* events (a room accepted, a member's identity, prekeys, a close, a request given up):
  `enqueue`d in the same transaction as the change they describe.

A worker works one peer at a time under a lease on the peer's row (`lease_owner`,
`lease_until`), so however many workers (and processes) run, each batch is sent by one of them,
in order. A batch is one transaction `PUT /federation/v1/send/{txn_id}`; on success its rows are
deleted, on failure the peer backs off exponentially with full jitter (`next_attempt_at`) and
the same rows go again later. The receiver makes a repeat harmless (transaction ids, envelope
ids), so the effect is exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.db.engine import Database
from server.db.models import FederationOutbox, FederationPeer, MailboxEntry, RemoteMember
from server.errors import ServiceError
from server.federation.gateway import Gateway
from server.federation.remote import remote_accounts
from server.federation.states import PeerStatus

__all__ = ["ENVELOPE", "SEND_PATH", "OutboxWorker", "backoff", "drain", "enqueue", "pending"]

log = logging.getLogger(__name__)
SEND_PATH = "/federation/v1/send/{txn_id}"
ENVELOPE = "envelope"


async def enqueue(
    session: AsyncSession,
    *,
    peer_id: uuid.UUID,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """Queue an event for a peer inside the caller's transaction (sent after it commits)."""
    session.add(FederationOutbox(peer_id=peer_id, kind=kind, payload=payload, created_at=now))
    await session.flush()


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def drain(session: AsyncSession, *, peer_id: uuid.UUID, limit: int, now: datetime) -> int:
    """Move mailbox entries for `peer_id`'s stand-ins into the outbox, oldest first."""
    rows = (
        await session.exec(
            select(
                MailboxEntry.id,
                MailboxEntry.room_id,
                MailboxEntry.sender_member_id,
                MailboxEntry.envelope,
            )
            .join(RemoteMember, col(RemoteMember.account_id) == col(MailboxEntry.recipient_id))
            .where(RemoteMember.peer_id == peer_id)
            .order_by(col(MailboxEntry.seq))
            .limit(limit)
        )
    ).all()
    if not rows:
        return 0
    table = SQLModel.metadata.tables[FederationOutbox.__tablename__]
    values = [
        {
            "peer_id": peer_id,
            "ref": entry_id,
            "kind": ENVELOPE,
            "created_at": now,
            "payload": {"room": str(room), "sender": str(sender), "envelope": envelope},
        }
        for entry_id, room, sender, envelope in rows
    ]
    await session.exec(_insert(session)(table).values(values).on_conflict_do_nothing())
    ids = [entry_id for entry_id, *_ in rows]
    await session.exec(sa.delete(MailboxEntry).where(col(MailboxEntry.id).in_(ids)))
    return len(rows)


async def pending(session: AsyncSession, *, peer_id: uuid.UUID | None = None) -> int:
    """Outbox rows waiting (for one peer, or all)."""
    query = select(sa.func.count()).select_from(FederationOutbox)
    if peer_id is not None:
        query = query.where(FederationOutbox.peer_id == peer_id)
    return int((await session.exec(query)).one())


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after `attempts` failures: full jitter over an exponential ceiling."""
    return rng.uniform(0, min(cap, base * 2 ** min(attempts, 30)))


class OutboxWorker:
    """Sends outbox batches to peers until stopped. Several may run (in one process or many)."""

    def __init__(
        self,
        db: Database,
        gateway: Gateway,
        *,
        settings: Settings,
        clock: Callable[[], datetime],
        name: str | None = None,
    ) -> None:
        self._db = db
        self._gateway = gateway
        self._settings = settings
        self._clock = clock
        self.name = name or f"outbox-{secrets.token_hex(4)}"
        self._lease = timedelta(seconds=settings.federation_outbox_lease_seconds)
        self._rng = random.Random()
        self._held: dict[uuid.UUID, datetime] = {}  # leases this worker holds, until when
        self._urls: dict[uuid.UUID, str] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop, and give up the leases held (a crashed worker's lapse after the lease time)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._held:
            try:
                await self._give_up_leases()
            except Exception as exc:  # the leases lapse by themselves
                log.info("%s: leases not given up at stop (%s)", self.name, type(exc).__name__)
            self._held.clear()

    async def _give_up_leases(self) -> None:
        async with self._db.session() as session:
            await session.exec(
                sa.update(FederationPeer)
                .where(col(FederationPeer.lease_owner) == self.name)
                .values(lease_owner=None, lease_until=None)
            )
            await session.commit()

    async def _run(self) -> None:
        interval = self._settings.federation_outbox_seconds or 1.0
        work = self._gateway.work
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(work.wait(), timeout=interval)
            work.clear()
            try:
                await self.run_once()
            except Exception as exc:  # keep running; the next round retries
                log.warning("%s: round failed (%s)", self.name, type(exc).__name__)

    async def run_once(self) -> int:
        """One round over the peers that are due. Returns the items delivered."""
        now = self._clock()
        async with self._db.session() as session:
            due = await session.exec(
                select(FederationPeer.id).where(
                    FederationPeer.status == PeerStatus.ACTIVE,
                    sa.or_(
                        col(FederationPeer.next_attempt_at).is_(None),
                        col(FederationPeer.next_attempt_at) <= now,
                    ),
                )
            )
            peers = list(due.all())
            self._gateway.remote = await remote_accounts(session)
        delivered = 0
        for peer_id in peers:
            delivered += await self._work_peer(peer_id)
        return delivered

    async def _claim(self, peer_id: uuid.UUID) -> str | None:
        """Take the peer's lease (None if another worker holds it); returns its URL."""
        now = self._clock()
        async with self._db.session() as session:
            claimed = await session.exec(
                sa.update(FederationPeer)
                .where(
                    col(FederationPeer.id) == peer_id,
                    sa.or_(
                        col(FederationPeer.lease_until).is_(None),
                        col(FederationPeer.lease_until) < now,
                        col(FederationPeer.lease_owner) == self.name,
                    ),
                )
                .values(lease_owner=self.name, lease_until=now + self._lease)
                .returning(col(FederationPeer.url))
            )
            url = claimed.scalar_one_or_none()
            await session.commit()
        return url

    async def _release(self, peer_id: uuid.UUID, *, failed: bool) -> None:
        """After a failure: back off and give the lease up. After success the lease is kept
        (it lapses by itself if this worker goes away), which saves a commit per round."""
        if not failed:
            return
        now = self._clock()
        async with self._db.session() as session:
            peer = await session.get(FederationPeer, peer_id)
            if peer is not None and peer.lease_owner == self.name:
                peer.lease_owner, peer.lease_until = None, None
                wait = backoff(
                    peer.attempts,
                    base=self._settings.federation_retry_base_seconds,
                    cap=self._settings.federation_retry_max_seconds,
                    rng=self._rng,
                )
                peer.attempts += 1
                peer.next_attempt_at = now + timedelta(seconds=wait)
                session.add(peer)
                await session.commit()

    async def _take(self, peer_id: uuid.UUID, sent: list[int]) -> list[FederationOutbox]:
        """One transaction: forget the batch the peer just took (`sent`), renew the lease,
        move new mailbox entries in, and read the next batch."""
        limit = self._settings.federation_outbox_batch
        now = self._clock()
        async with self._db.session() as session:
            if sent:
                await session.exec(
                    sa.delete(FederationOutbox).where(col(FederationOutbox.position).in_(sent))
                )
                await session.exec(
                    sa.update(FederationPeer)
                    .where(col(FederationPeer.id) == peer_id)
                    .values(lease_until=now + self._lease, attempts=0, next_attempt_at=None)
                )
                self._held[peer_id] = now + self._lease
            await drain(session, peer_id=peer_id, limit=limit, now=now)
            rows = await session.exec(
                select(FederationOutbox)
                .where(FederationOutbox.peer_id == peer_id)
                .order_by(col(FederationOutbox.position))
                .limit(limit)
            )
            batch = list(rows.all())
            await session.commit()
        return batch

    async def _lease_for(self, peer_id: uuid.UUID) -> str | None:
        """The peer's URL if this worker holds its lease (claimed again when half used up)."""
        held = self._held.get(peer_id)
        if held is not None and held - self._clock() > self._lease / 2:
            return self._urls[peer_id]
        url = await self._claim(peer_id)
        if url is None:
            self._held.pop(peer_id, None)
            return None
        self._held[peer_id], self._urls[peer_id] = self._clock() + self._lease, url
        return url

    async def _work_peer(self, peer_id: uuid.UUID) -> int:
        url = await self._lease_for(peer_id)
        if url is None:
            return 0
        delivered, failed = 0, False
        sent: list[int] = []
        try:
            while batch := await self._take(peer_id, sent):
                positions = [row.position for row in batch if row.position is not None]
                txn_id = f"{positions[0]}-{positions[-1]}-{len(batch)}"
                items = [{"kind": row.kind, **row.payload} for row in batch]
                try:
                    answer = await self._gateway.transport.call(
                        url, "PUT", SEND_PATH.format(txn_id=txn_id), {"items": items}
                    )
                except ServiceError:
                    answer = None
                if answer is None or not answer.ok:
                    log.info(
                        "%s: peer %s did not take txn %s (%s)",
                        self.name,
                        peer_id,
                        txn_id,
                        answer.status if answer else "unreachable",
                    )
                    failed, sent = True, []
                    break
                sent = positions
                delivered += len(batch)
        finally:
            if failed:
                self._held.pop(peer_id, None)
            await self._release(peer_id, failed=failed)
        return delivered
