"""The mailbox: the truth of delivery. An envelope is persisted for its recipient before the
sender hears `accepted`; it leaves the mailbox when the recipient acknowledges it or it expires.

Writes come in batches (see `server.relay.writer`): a batch of sends costs a fixed handful of
statements, however many envelopes it carries. Each batch first takes the batch lock (one row),
so batches commit one after another. Sequence numbers are per recipient (1, 2, 3… for each
account, from its `MailboxCursor` row), all recipients of a batch in one upsert; so per recipient
seq order is commit order, and a socket that sees seq n knows every smaller seq is committed.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import DecodeError, Envelope, server_tag
from server.db.models import (
    MailboxCursor,
    MailboxEntry,
    RelaySequence,
    Room,
    RoomMember,
    SentMessage,
    table_of,
)
from server.db.upsert import insert_if_missing
from server.errors import (
    DuplicateId,
    InvalidEnvelope,
    NoRecipient,
    RoomClosed,
    ServiceError,
    UnknownRoom,
)

__all__ = [
    "Accepted",
    "Delivery",
    "Position",
    "Submission",
    "accept_batch",
    "acknowledge_batch",
    "pending",
    "position",
    "sweep",
    "undecodable",
]

_NOT_YOURS = "no such room, or you are not in it"

# The parts of an envelope a decoding problem may be named by (crypto's own messages can quote the
# input: an unsupported version, unknown field names; they are never forwarded).
_ENVELOPE_PARTS = frozenset(
    {"envelope", "v", "type", "room", "sender", "id", "header", "ct", "commit", "x3dh",
     "ik", "ek", "spk", "opk", "ratchet header"}
)  # fmt: skip


def undecodable(error: DecodeError) -> InvalidEnvelope:
    """The answer to an envelope that does not decode: which part is wrong, never its content."""
    part = str(error).split(":", 1)[0].strip()
    if part in _ENVELOPE_PARTS and part != "envelope":
        return InvalidEnvelope(f"the envelope does not decode ({part} is invalid)")
    return InvalidEnvelope("the envelope does not decode (see docs/protocol.md, section 6)")


@dataclass(frozen=True)
class Submission:
    """One `send`: who sent it and the envelope as it came."""

    account_id: uuid.UUID
    raw: str


@dataclass(frozen=True)
class Delivery:
    """A mailbox entry as the relay hands it on (a plain record: cheap to build in bulk)."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    seq: int
    room_id: uuid.UUID
    sender_member_id: uuid.UUID
    envelope: str
    tag: bytes
    created_at: datetime

    @classmethod
    def of(cls, entry: MailboxEntry) -> Delivery:
        return cls(entry.id, entry.recipient_id, entry.seq, entry.room_id,
                   entry.sender_member_id, entry.envelope, entry.tag, entry.created_at)  # fmt: skip


@dataclass(frozen=True)
class Accepted:
    """The outcome of a `send`: the server id and time, and the delivery to publish. A re-send of
    an envelope already accepted carries its delivery again while the mailbox still holds it (the
    first publish may never have happened: the worker died after the commit), else None."""

    client_id: str
    id: uuid.UUID
    ts: datetime
    entry: Delivery | None
    again: bool = False  # a re-send of an envelope accepted before


@dataclass(frozen=True)
class Position:
    """Where an account's mailbox stands: the last seq given out, and the oldest still held."""

    cursor: int
    oldest: int | None

    @property
    def backlog(self) -> bool:
        """Entries from before this moment wait: a client must `sync` to get them."""
        return self.oldest is not None and self.oldest <= self.cursor


@dataclass(frozen=True)
class _Member:
    id: uuid.UUID
    account_id: uuid.UUID


@dataclass(frozen=True)
class _Checked:
    index: int
    envelope: Envelope
    room_id: uuid.UUID
    own: _Member
    peer: _Member
    digest: bytes  # SHA-256 of the envelope as sent

    @property
    def key(self) -> tuple[uuid.UUID, uuid.UUID, str]:
        return (self.room_id, self.own.id, self.envelope.message_id)


_DIFFERENT = "an envelope with this id was already accepted with different content"


_KEYS_PER_QUERY = 500  # 1,500 bound values per query: far below SQLite's limit (32,766)


def _seen(keys: Sequence[tuple[uuid.UUID, uuid.UUID, str]]) -> sa.Select[Any]:
    """The sent-message records of these (room, sender, client id) keys.

    A join with the keys as a `VALUES` list, not a row-value `IN`: SQLite answers
    `(a, b, c) IN (...)` by scanning the whole table (sent_messages holds the report window, so
    every batch got slower as it grew), the join with one unique-index lookup per key. An OR of
    equalities would do as well in SQLite but costs SQLAlchemy ~40 ms to build for 250 keys."""
    wanted = sa.values(
        sa.column("room", sa.Uuid), sa.column("sender", sa.Uuid), sa.column("client", sa.String),
        name="wanted",
    ).data(list(keys)).cte("wanted")  # fmt: skip
    sent = table_of(SentMessage).c
    return sa.select(
        sent.room_id, sent.sender_member_id, sent.client_id, sent.id, sent.created_at,
        sent.envelope_hash,
    ).select_from(wanted.join(sent.room_id.table, sa.and_(
        sent.room_id == wanted.c.room, sent.sender_member_id == wanted.c.sender,
        sent.client_id == wanted.c.client,
    )))  # fmt: skip


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def _lock_sequence(session: AsyncSession) -> None:
    """Take the batch lock first, before any read: later reads then see every earlier batch, and
    SQLite never has to upgrade a read snapshot to a write (which it refuses)."""
    await insert_if_missing(session, RelaySequence, id=1, last=0)
    await session.exec(
        sa.update(RelaySequence)
        .where(col(RelaySequence.id) == 1)
        .values(last=col(RelaySequence.last))
    )


async def _take_seqs(session: AsyncSession, counts: Counter[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Reserve `counts[account]` numbers for each recipient in one statement; returns the first
    number of each. Rows are taken in account order, so two batches never wait on each other's
    rows in opposite orders."""
    rows = [{"account_id": account, "last": n} for account, n in sorted(counts.items())]
    table = table_of(MailboxCursor)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table)
    upsert = insert.on_conflict_do_update(
        index_elements=["account_id"], set_={"last": table.c.last + insert.excluded.last}
    ).returning(table.c.account_id, table.c.last)
    # executemany with RETURNING (SQLAlchemy's "insertmanyvalues"): one cached statement, sent as
    # one multi-row upsert, whatever the number of recipients.
    connection = await session.connection()
    return {account: last - counts[account] + 1
            for account, last in await connection.execute(upsert, rows)}  # fmt: skip


async def _check(
    session: AsyncSession, submissions: Sequence[Submission], results: list[Any]
) -> list[_Checked]:
    """Decode and authorise every submission (a `ServiceError` in `results` for each refusal)."""
    decoded: list[tuple[int, Envelope, uuid.UUID]] = []
    for index, submission in enumerate(submissions):
        try:
            envelope = Envelope.decode(submission.raw)
        except DecodeError as error:
            results[index] = undecodable(error)
            continue
        try:
            decoded.append((index, envelope, uuid.UUID(envelope.room)))
        except ValueError:
            ref = envelope.message_id
            results[index] = UnknownRoom(_NOT_YOURS, ref=ref)
    rooms = {room_id for _, _, room_id in decoded}
    if not rooms:
        return []
    # Plain columns, not ORM objects: this runs for every batch.
    members: dict[uuid.UUID, list[_Member]] = defaultdict(list)
    query = select(RoomMember.id, RoomMember.room_id, RoomMember.account_id).where(
        col(RoomMember.room_id).in_(rooms), col(RoomMember.left_at).is_(None)
    )
    for member_id, room_id, account_id in (await session.exec(query)).all():
        members[room_id].append(_Member(member_id, account_id))
    closed_query = select(Room.id).where(col(Room.id).in_(rooms), col(Room.closed_at).is_not(None))
    closed = set((await session.exec(closed_query)).all())

    checked = []
    for index, envelope, room_id in decoded:
        ref = envelope.message_id
        here = members.get(room_id, [])
        own = next((m for m in here if m.account_id == submissions[index].account_id), None)
        peer = next((m for m in here if own is not None and m.id != own.id), None)
        if own is None:
            results[index] = UnknownRoom(_NOT_YOURS, ref=ref)
        elif room_id in closed:
            results[index] = RoomClosed("this room is closed", ref=ref)
        elif envelope.sender != str(own.id):
            message = "envelope sender is not your member id here"
            results[index] = InvalidEnvelope(message, ref=ref)
        elif peer is None:
            message = "nobody else is in this room"
            results[index] = NoRecipient(message, ref=ref)
        else:
            digest = hashlib.sha256(submissions[index].raw.encode()).digest()
            checked.append(_Checked(index, envelope, room_id, own, peer, digest))
    return checked


async def accept_batch(
    session: AsyncSession,
    submissions: Sequence[Submission],
    *,
    server_secret: bytes,
    retention: timedelta,
    now: datetime,
) -> list[Accepted | ServiceError]:
    """Check and persist a batch of sends. The caller commits.

    Each result is `Accepted` or the error to answer: `InvalidEnvelope` (undecodable, or a sender
    field that is not the caller's member id), `UnknownRoom` (no such room or not a member: one
    answer), `RoomClosed`, `NoRecipient`, `DuplicateId` (an id already accepted for different
    content). A refused send writes nothing. A re-sent envelope (same room, sender, id and
    content) is answered as before and stored once.
    """
    results: list[Any] = [None] * len(submissions)
    await _lock_sequence(session)
    checked = await _check(session, submissions, results)
    if not checked:
        return results
    connection = await session.connection()
    known: dict[tuple[uuid.UUID, uuid.UUID, str], tuple[uuid.UUID, datetime, bytes | None]] = {}
    keys = list(dict.fromkeys(c.key for c in checked))
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        for row in await connection.execute(_seen(keys[start : start + _KEYS_PER_QUERY])):
            known[(row[0], row[1], row[2])] = (row[3], row[4], row[5])
    fresh: list[_Checked] = []
    first_of: dict[tuple[uuid.UUID, uuid.UUID, str], _Checked] = {}
    again: dict[uuid.UUID, list[int]] = defaultdict(list)  # re-sends: sent id -> result indexes
    for item in checked:
        ref = item.envelope.message_id
        if item.key in known:
            sent_id, at, digest = known[item.key]
            if digest is not None and digest != item.digest:
                results[item.index] = DuplicateId(_DIFFERENT, ref=ref)
            else:
                results[item.index] = Accepted(ref, sent_id, at, None, again=True)
                again[sent_id].append(item.index)
        elif item.key not in first_of:
            first_of[item.key] = item
            fresh.append(item)
        elif first_of[item.key].digest != item.digest:  # a second copy inside this very batch
            results[item.index] = DuplicateId(_DIFFERENT, ref=ref)
    if again:
        # Still in the mailbox: publish it again (the first publish may have died with a worker).
        held = sa.select(table_of(MailboxEntry)).where(table_of(MailboxEntry).c.id.in_(list(again)))
        for row in await connection.execute(held):
            delivery = Delivery(row.id, row.recipient_id, row.seq, row.room_id,
                                row.sender_member_id, row.envelope, row.tag,
                                row.created_at)  # fmt: skip
            for index in again[row.id]:
                answer: Accepted = results[index]
                results[index] = Accepted(answer.client_id, answer.id, answer.ts, delivery, True)
    if fresh:
        seqs = await _take_seqs(session, Counter(item.peer.account_id for item in fresh))
        entries, sent = [], []
        expires = now + retention
        for item in fresh:
            peer, envelope = item.peer, item.envelope
            seq = seqs[peer.account_id]
            seqs[peer.account_id] += 1
            tag = server_tag(server_secret, envelope.commitment, envelope.room, envelope.sender,
                             str(peer.id), _millis(now))  # fmt: skip
            delivery = Delivery(uuid.uuid4(), peer.account_id, seq, item.room_id, item.own.id,
                                submissions[item.index].raw, tag, now)  # fmt: skip
            # A plain dict, not `dataclasses.asdict` (which deep-copies every field: a third of
            # the writer's CPU in a profile).
            entries.append({
                "id": delivery.id, "recipient_id": peer.account_id, "seq": seq,
                "room_id": item.room_id, "sender_member_id": item.own.id,
                "envelope": delivery.envelope, "tag": tag, "created_at": now, "expires_at": expires,
            })  # fmt: skip
            sent.append({
                "id": delivery.id, "room_id": item.room_id, "sender_member_id": item.own.id,
                "recipient_member_id": peer.id, "client_id": envelope.message_id, "tag": tag,
                "created_at": now, "envelope_hash": item.digest,
            })  # fmt: skip
            results[item.index] = Accepted(envelope.message_id, delivery.id, now, delivery)
        # Core executemany: one cached statement, no ORM objects built per row.
        await connection.execute(sa.insert(table_of(MailboxEntry)), entries)
        await connection.execute(sa.insert(table_of(SentMessage)), sent)
    for item in checked:  # an identical second copy inside this very batch
        if results[item.index] is None:
            first: Accepted = results[first_of[item.key].index]
            results[item.index] = Accepted(first.client_id, first.id, first.ts, None, again=True)
    return results


async def acknowledge_batch(
    session: AsyncSession, acks: Sequence[tuple[uuid.UUID, Sequence[uuid.UUID]]]
) -> None:
    """Delete acknowledged entries: each account's own ids only (others' ids are ignored)."""
    pairs = [(account_id, entry_id) for account_id, ids in acks for entry_id in ids]
    if pairs:
        # `id IN` first: SQLite searches the primary key with it and checks the owner on each
        # row found; a row-value `IN` alone would scan the whole mailbox.
        owned = sa.tuple_(col(MailboxEntry.recipient_id), col(MailboxEntry.id))
        ids = list({entry_id for _account, entry_id in pairs})
        await session.exec(
            sa.delete(MailboxEntry).where(col(MailboxEntry.id).in_(ids), owned.in_(pairs))
        )


async def pending(
    session: AsyncSession, *, account_id: uuid.UUID, after: int, limit: int
) -> list[Delivery]:
    """Unacknowledged entries of an account after sequence number `after`, oldest first."""
    query = (
        select(MailboxEntry)
        .where(MailboxEntry.recipient_id == account_id, col(MailboxEntry.seq) > after)
        .order_by(col(MailboxEntry.seq))
        .limit(limit)
    )
    return [Delivery.of(entry) for entry in (await session.exec(query)).all()]


async def position(session: AsyncSession, *, account_id: uuid.UUID) -> Position:
    """The account's last seq given out (0 before its first envelope) and its oldest held one."""
    last = (
        await session.exec(select(MailboxCursor.last).where(MailboxCursor.account_id == account_id))
    ).first()
    oldest = (
        await session.exec(
            select(sa.func.min(MailboxEntry.seq)).where(MailboxEntry.recipient_id == account_id)
        )
    ).first()
    return Position(cursor=int(last or 0), oldest=None if oldest is None else int(oldest))


async def sweep(
    session: AsyncSession, *, now: datetime, report_window: timedelta
) -> tuple[int, int]:
    """Expire undelivered entries past retention and franking records past the report window."""
    expired = await session.exec(sa.delete(MailboxEntry).where(col(MailboxEntry.expires_at) <= now))
    forgotten = await session.exec(
        sa.delete(SentMessage).where(col(SentMessage.created_at) <= now - report_window)
    )
    return int(expired.rowcount), int(forgotten.rowcount)
