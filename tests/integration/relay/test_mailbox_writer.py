"""The mailbox writer on a real database: batches share commits, refusals and duplicates stay
apart, and every answered send is persisted."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from crypto import Envelope, EnvelopeType
from crypto.ratchet import RatchetHeader
from server.db.engine import Database
from server.db.models import MailboxEntry, SentMessage
from server.errors import ServiceError
from server.relay.frames import ErrorCode
from server.relay.writer import MailboxWriter
from tests.integration.peers import count, matched_room
from tests.world import World


def _envelope(room: str, sender: str, message_id: str) -> str:
    body = os.urandom(64)
    return Envelope(
        type=EnvelopeType.MESSAGE, room=room, sender=sender, message_id=message_id,
        header=RatchetHeader(dh=os.urandom(32), pn=0, n=0), ciphertext=body,
        commitment=body[:32],
    ).encode().decode()  # fmt: skip


async def test_batches_share_commits_and_keep_every_answer_honest(world: World) -> None:
    asker, helper, c_room, _s_room = matched_room(world)
    room, me = c_room["id"], c_room["me"]["member_id"]
    account = uuid.UUID(asker.account_id)
    db = Database(world.url)
    commits = 0

    def counted(_connection: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine.sync_engine, "commit", counted)
    writer = MailboxWriter(db, server_secret=os.urandom(32), retention=timedelta(days=1),
                           clock=lambda: datetime.now(UTC), max_batch=64)  # fmt: skip
    writer.start()
    try:
        good = [_envelope(room, me, f"m{i}") for i in range(60)]
        spoofed = [_envelope(room, str(uuid.uuid4()), f"s{i}") for i in range(5)]
        strangers = [_envelope(str(uuid.uuid4()), me, f"x{i}") for i in range(3)]
        sends = [*good, *spoofed, *strangers, good[7], good[7]]  # and a re-send, twice
        results = await asyncio.gather(*(writer.send(account, raw) for raw in sends),
                                       return_exceptions=True)  # fmt: skip
        accepted, refused = results[:60], results[60:68]
        assert all(not isinstance(r, BaseException) for r in accepted)
        assert [r.code for r in refused if isinstance(r, ServiceError)] == (
            [ErrorCode.INVALID_ENVELOPE] * 5 + [ErrorCode.UNKNOWN_ROOM] * 3
        )
        assert [r.id for r in results[68:]] == [accepted[7].id] * 2  # type: ignore[union-attr]
        assert commits < 30  # 70 sends, far fewer commits
        assert count(world, MailboxEntry) == 60 and count(world, SentMessage) == 60
        seqs = sorted(r.entry.seq for r in accepted)  # type: ignore[union-attr]
        assert len(set(seqs)) == 60

        # Acks delete only the caller's own entries.
        ids = [r.id for r in accepted]  # type: ignore[union-attr]
        await writer.ack(uuid.UUID(helper.account_id), ids[:10])
        await writer.ack(account, ids[10:20])  # not the recipient: nothing happens
        assert count(world, MailboxEntry) == 50
    finally:
        await writer.stop()
        await db.dispose()
