"""The mailbox: the truth of delivery. An envelope is persisted for its recipient before the
sender hears `accepted`; it leaves the mailbox when the recipient acknowledges it or it expires.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import DecodeError, Envelope, server_tag
from server.db.models import MailboxCounter, MailboxEntry, Room, RoomMember, SentMessage
from server.db.upsert import insert_if_missing
from server.relay.frames import ErrorCode, FrameError

__all__ = ["Accepted", "accept_envelope", "acknowledge", "cursor", "pending", "sweep"]


@dataclass(frozen=True)
class Accepted:
    """The outcome of a `send`: the server id and time, and the entry to publish (None for a
    re-send of an envelope already accepted)."""

    client_id: str
    id: uuid.UUID
    ts: datetime
    entry: MailboxEntry | None


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def _next_seq(session: AsyncSession, *, account_id: uuid.UUID) -> int:
    """Take the next sequence number of an account's mailbox, holding its counter row's lock
    until the transaction ends, so that seq order is commit order for that mailbox."""
    await insert_if_missing(session, MailboxCounter, account_id=account_id, last_seq=0)
    bumped = await session.exec(
        sa.update(MailboxCounter)
        .where(col(MailboxCounter.account_id) == account_id)
        .values(last_seq=col(MailboxCounter.last_seq) + 1)
        .returning(col(MailboxCounter.last_seq))
    )
    return int(bumped.scalar_one())


async def accept_envelope(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    raw: str,
    server_secret: bytes,
    retention: timedelta,
    now: datetime,
) -> Accepted:
    """Check and persist one envelope sent by `account_id`. The caller commits.

    Raises FrameError: INVALID_ENVELOPE (undecodable, or sender/room fields that are not the
    caller's), UNKNOWN_ROOM (no such room or not a member: one answer), ROOM_CLOSED, NO_RECIPIENT.
    """
    try:
        envelope = Envelope.decode(raw)
    except DecodeError as error:
        raise FrameError(ErrorCode.INVALID_ENVELOPE, str(error)) from None
    ref = envelope.message_id
    try:
        room_id = uuid.UUID(envelope.room)
    except ValueError:
        raise FrameError(
            ErrorCode.UNKNOWN_ROOM, "no such room, or you are not in it", ref=ref
        ) from None
    members = (
        await session.exec(
            select(RoomMember).where(
                RoomMember.room_id == room_id, col(RoomMember.left_at).is_(None)
            )
        )
    ).all()
    own = next((m for m in members if m.account_id == account_id), None)
    if own is None:
        raise FrameError(ErrorCode.UNKNOWN_ROOM, "no such room, or you are not in it", ref=ref)
    room = await session.get(Room, room_id)
    if room is None or room.closed_at is not None:
        raise FrameError(ErrorCode.ROOM_CLOSED, "this room is closed", ref=ref)
    if envelope.sender != str(own.id):
        raise FrameError(
            ErrorCode.INVALID_ENVELOPE, "envelope sender is not your member id here", ref=ref
        )
    peers = [m for m in members if m.id != own.id]
    if not peers:
        raise FrameError(ErrorCode.NO_RECIPIENT, "nobody else is in this room", ref=ref)
    peer = peers[0]

    already = (
        await session.exec(
            select(SentMessage).where(
                SentMessage.room_id == room_id,
                SentMessage.sender_member_id == own.id,
                SentMessage.client_id == envelope.message_id,
            )
        )
    ).first()
    if already is not None:
        return Accepted(
            client_id=already.client_id, id=already.id, ts=already.created_at, entry=None
        )

    seq = await _next_seq(session, account_id=peer.account_id)
    tag = server_tag(
        server_secret, envelope.commitment, envelope.room, envelope.sender, str(peer.id),
        _millis(now),
    )  # fmt: skip
    entry = MailboxEntry(
        recipient_id=peer.account_id,
        seq=seq,
        room_id=room_id,
        sender_member_id=own.id,
        envelope=raw,
        tag=tag,
        created_at=now,
        expires_at=now + retention,
    )
    session.add(entry)
    session.add(
        SentMessage(
            id=entry.id,
            room_id=room_id,
            sender_member_id=own.id,
            recipient_member_id=peer.id,
            client_id=envelope.message_id,
            tag=tag,
            created_at=now,
        )
    )
    await session.flush()
    return Accepted(client_id=envelope.message_id, id=entry.id, ts=now, entry=entry)


async def pending(
    session: AsyncSession, *, account_id: uuid.UUID, after: int, limit: int
) -> Sequence[MailboxEntry]:
    """Unacknowledged entries of an account after sequence number `after`, oldest first."""
    query = (
        select(MailboxEntry)
        .where(MailboxEntry.recipient_id == account_id, col(MailboxEntry.seq) > after)
        .order_by(col(MailboxEntry.seq))
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def cursor(session: AsyncSession, *, account_id: uuid.UUID) -> int:
    counter = await session.get(MailboxCounter, account_id)
    return counter.last_seq if counter else 0


async def acknowledge(
    session: AsyncSession, *, account_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> int:
    """Delete the caller's own entries among `ids` (others' ids are ignored). Returns the count."""
    deleted = await session.exec(
        sa.delete(MailboxEntry).where(
            col(MailboxEntry.recipient_id) == account_id, col(MailboxEntry.id).in_(ids)
        )
    )
    return int(deleted.rowcount)


async def sweep(
    session: AsyncSession, *, now: datetime, report_window: timedelta
) -> tuple[int, int]:
    """Expire undelivered entries past retention and franking records past the report window."""
    expired = await session.exec(sa.delete(MailboxEntry).where(col(MailboxEntry.expires_at) <= now))
    forgotten = await session.exec(
        sa.delete(SentMessage).where(col(SentMessage.created_at) <= now - report_window)
    )
    return int(expired.rowcount), int(forgotten.rowcount)
