"""The audit log: every moderator and admin action, appended to one hash chain.

    entry_hash = SHA-256(prev_hash || canonical_json({seq, at_ms, network, actor, action, subject}))

The first entry's `prev_hash` is 32 zero bytes; `seq` counts 1, 2, 3… without gaps. Editing an
entry breaks its hash, removing one breaks the seq run and the next entry's `prev_hash`, and
reordering breaks both. Truncating the tail leaves a valid shorter chain: `head` is what an
operator records elsewhere (docs/moderation.md) to catch that too. Entries hold ids and action
names only, never report content. Functions take the caller's session and never commit.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto.encoding import canonical_json
from server.db.models import AuditEntry
from server.errors import Conflict

__all__ = ["GENESIS", "AuditReport", "append", "entry_hash", "verify_chain"]

GENESIS = bytes(32)
_ATTEMPTS = 5


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def entry_hash(
    *,
    prev_hash: bytes,
    seq: int,
    at: datetime,
    network_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    action: str,
    subject: dict[str, str],
) -> bytes:
    body = canonical_json(
        {
            "seq": seq,
            "at_ms": _ms(at),
            "network": str(network_id) if network_id else None,
            "actor": str(actor_id) if actor_id else None,
            "action": action,
            "subject": subject,
        }
    )
    return hashlib.sha256(prev_hash + body).digest()


async def append(
    session: AsyncSession,
    *,
    action: str,
    network_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    subject: dict[str, uuid.UUID | str],
    now: datetime,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it lands or vanishes with the action).

    Two concurrent appends race for the next `seq`; the loser retries on a savepoint.
    """
    ids = {key: str(value) for key, value in subject.items()}
    # Timestamps are kept to the millisecond the hash commits to.
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    for _ in range(_ATTEMPTS):
        last = (
            await session.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc()).limit(1))
        ).first()
        seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
        entry = AuditEntry(
            seq=seq,
            at=at,
            network_id=network_id,
            actor_id=actor_id,
            action=action,
            subject=ids,
            prev_hash=prev,
            hash=entry_hash(
                prev_hash=prev,
                seq=seq,
                at=at,
                network_id=network_id,
                actor_id=actor_id,
                action=action,
                subject=ids,
            ),
        )
        try:
            async with session.begin_nested():
                session.add(entry)
        except IntegrityError:
            continue
        return entry
    raise Conflict("the audit log is busy; try again")


@dataclass(frozen=True)
class AuditReport:
    """What `verify_chain` found: entry count, the head hash, and each break (empty: intact)."""

    entries: int
    head: bytes
    problems: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems


async def verify_chain(session: AsyncSession, *, batch: int = 1000) -> AuditReport:
    """Walk the whole chain in seq order and name every entry that breaks it."""
    problems: list[str] = []
    prev, expected_seq, count, after = GENESIS, 1, 0, 0
    while True:
        rows = (
            await session.exec(
                select(AuditEntry)
                .where(col(AuditEntry.seq) > after)
                .order_by(col(AuditEntry.seq))
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        for entry in rows:
            count += 1
            if entry.seq != expected_seq:
                problems.append(f"entry {entry.seq}: expected entry {expected_seq} (removed?)")
            if entry.prev_hash != prev:
                problems.append(f"entry {entry.seq}: does not follow the entry before it")
            recomputed = entry_hash(
                prev_hash=entry.prev_hash,
                seq=entry.seq,
                at=entry.at,
                network_id=entry.network_id,
                actor_id=entry.actor_id,
                action=entry.action,
                subject=entry.subject,
            )
            if recomputed != entry.hash:
                problems.append(f"entry {entry.seq}: content does not match its hash (edited?)")
            prev, expected_seq, after = entry.hash, entry.seq + 1, entry.seq
    return AuditReport(entries=count, head=prev, problems=problems)
