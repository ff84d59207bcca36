"""Verifying revealed messages by franking, without the text.

The moderator's client opens the sealed report, recomputes each revealed message's commitment
`HMAC-SHA256(franking_key, plaintext)` and sends the server only (message id, commitment). The
server recomputes the tag from that commitment and *its own* delivery record (room, sender,
recipient, time) and compares it with the tag it stored on delivery. A forged or altered
message gives another commitment and so another tag: "not verified". The server never sees the
plaintext or the franking key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import primitives as p
from crypto import server_tag
from server.db.models import Flag, SentMessage
from server.errors import InvalidInput, NotFound

__all__ = ["MAX_CHECKS", "Verdict", "verify_messages"]

MAX_CHECKS = 50


@dataclass(frozen=True)
class Verdict:
    message_id: uuid.UUID
    verified: bool
    sender_member_id: uuid.UUID
    from_reporter: bool
    sent_at: datetime


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def verify_messages(
    session: AsyncSession,
    *,
    flag: Flag,
    checks: list[tuple[uuid.UUID, bytes]],
    server_secret: bytes,
) -> list[Verdict]:
    """One verdict per (message id, commitment). NotFound if a message was never delivered in
    the flagged room (or its record is past the report window); InvalidInput for a bad request.
    """
    if not 0 < len(checks) <= MAX_CHECKS:
        raise InvalidInput(f"check 1 to {MAX_CHECKS} messages at a time")
    if any(len(commitment) != 32 for _, commitment in checks):
        raise InvalidInput("a commitment is 32 bytes")
    ids = {message_id for message_id, _ in checks}
    query = select(SentMessage).where(
        col(SentMessage.id).in_(ids), SentMessage.room_id == flag.room_id
    )
    records = {sent.id: sent for sent in (await session.exec(query)).all()}
    if ids - set(records):
        raise NotFound("a message was not delivered in the flagged room (or is past the window)")
    verdicts = []
    for message_id, commitment in checks:
        sent = records[message_id]
        expected = server_tag(
            server_secret,
            commitment,
            str(sent.room_id),
            str(sent.sender_member_id),
            str(sent.recipient_member_id),
            _millis(sent.created_at),
        )
        verdicts.append(
            Verdict(
                message_id=message_id,
                verified=p.constant_time_equal(expected, sent.tag),
                sender_member_id=sent.sender_member_id,
                from_reporter=sent.sender_member_id == flag.reporter_member_id,
                sent_at=sent.created_at,
            )
        )
    return verdicts
