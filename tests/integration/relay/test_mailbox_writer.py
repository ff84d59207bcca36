"""The mailbox writer on a real database: batches share commits, refusals and duplicates stay
apart, and every answered send is persisted."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from crypto import Envelope, EnvelopeType
from crypto.ratchet import RatchetHeader
from server.db.engine import Database, sqlite_path
from server.db.models import MailboxEntry, SentMessage
from server.errors import ServiceError
from server.platform.pubsub import MemoryPubSub, Sequenced
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


async def test_the_writer_publishes_after_commit_and_again_for_a_resend(world: World) -> None:
    asker, helper, c_room, _s_room = matched_room(world)
    room, me = c_room["id"], c_room["me"]["member_id"]
    account = uuid.UUID(asker.account_id)
    db = Database(world.url)
    pubsub = MemoryPubSub()
    writer = MailboxWriter(db, server_secret=os.urandom(32), retention=timedelta(days=1),
                           clock=lambda: datetime.now(UTC),
                           publish=pubsub.publish_many)  # fmt: skip
    writer.start()
    try:
        with pubsub.subscribe(helper.account_id) as inbox:
            raw = _envelope(room, me, "m1")
            first = await writer.send(account, raw)
            published = await asyncio.wait_for(inbox.get(), 5)
            assert isinstance(published, Sequenced) and published.seq == 1
            assert json.loads(published.frame)["id"] == str(first.id)
            # A re-send (the first `accepted`, or the first publish, may have been lost).
            again = await writer.send(account, raw)
            assert again.id == first.id
            republished = await asyncio.wait_for(inbox.get(), 5)
            assert isinstance(republished, Sequenced) and republished.seq == 1
            # Acknowledged: nothing is left to publish again.
            await writer.ack(uuid.UUID(helper.account_id), [first.id])
            assert (await writer.send(account, raw)).id == first.id
            await writer.send(account, _envelope(room, me, "m2"))
            following = await asyncio.wait_for(inbox.get(), 5)  # publishes keep commit order
            assert isinstance(following, Sequenced) and following.seq == 2
    finally:
        await writer.stop()
        await db.dispose()


async def test_one_id_with_two_contents_in_one_batch_is_refused(world: World) -> None:
    asker, _helper, c_room, _s_room = matched_room(world)
    room, me = c_room["id"], c_room["me"]["member_id"]
    account = uuid.UUID(asker.account_id)
    db = Database(world.url)
    writer = MailboxWriter(db, server_secret=os.urandom(32), retention=timedelta(days=1),
                           clock=lambda: datetime.now(UTC))  # fmt: skip
    writer.start()
    try:
        one, other = _envelope(room, me, "same-id"), _envelope(room, me, "same-id")
        sends = (writer.send(account, one), writer.send(account, other), writer.send(account, one))
        results = await asyncio.gather(*sends, return_exceptions=True)
        assert not isinstance(results[0], BaseException)
        assert isinstance(results[1], ServiceError) and results[1].code == "duplicate_id"
        assert not isinstance(results[2], BaseException) and results[2].id == results[0].id
        assert count(world, MailboxEntry) == 1
    finally:
        await writer.stop()
        await db.dispose()


async def test_each_recipient_counts_its_own_seqs_within_a_batch(world: World) -> None:
    rooms = [matched_room(world) for _ in range(2)]
    db = Database(world.url)
    writer = MailboxWriter(db, server_secret=os.urandom(32), retention=timedelta(days=1),
                           clock=lambda: datetime.now(UTC))  # fmt: skip
    writer.start()
    try:
        sends = []
        for asker, helper, c_room, s_room in rooms:  # both directions in both rooms
            for person, room, n in ((asker, c_room, 5), (helper, s_room, 3)):
                me = room["me"]["member_id"]
                sends += [(person, _envelope(room["id"], me, f"{me[:8]}-{i}")) for i in range(n)]
        results = await asyncio.gather(
            *(writer.send(uuid.UUID(person.account_id), raw) for person, raw in sends)
        )
        by_recipient: dict[uuid.UUID, list[int]] = {}
        for result in results:
            assert result.entry is not None
            by_recipient.setdefault(result.entry.recipient_id, []).append(result.entry.seq)
        assert sorted(sorted(seqs) for seqs in by_recipient.values()) == [
            [1, 2, 3],
            [1, 2, 3],
            [1, 2, 3, 4, 5],
            [1, 2, 3, 4, 5],
        ]
    finally:
        await writer.stop()
        await db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_batch_finds_its_rows_through_indexes_not_table_scans(world: World) -> None:
    """The duplicate check reads sent_messages (the whole report window) and an ack deletes from
    the mailbox: both must search an index, or every batch slows down as the tables grow."""
    asker, helper, c_room, _s_room = matched_room(world)
    room, me = c_room["id"], c_room["me"]["member_id"]
    db = Database(world.url)
    statements: list[tuple[str, Any]] = []

    def seen(
        _conn: object, _cursor: object, sql: str, params: Any, _ctx: object, many: bool
    ) -> None:
        if not many and sql.lstrip().upper().startswith(("SELECT", "DELETE", "WITH")):
            statements.append((sql, params))

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    writer = MailboxWriter(db, server_secret=os.urandom(32), retention=timedelta(days=1),
                           clock=lambda: datetime.now(UTC))  # fmt: skip
    writer.start()
    try:
        accepted = await asyncio.gather(
            *(writer.send(uuid.UUID(asker.account_id), _envelope(room, me, f"i{i}"))
              for i in range(5))
        )  # fmt: skip
        await writer.ack(uuid.UUID(helper.account_id), [a.id for a in accepted])
    finally:
        await writer.stop()
        await db.dispose()
    path = sqlite_path(world.url)
    assert path is not None
    plans: dict[str, list[str]] = {"sent_messages": [], "mailbox": []}
    with sqlite3.connect(path) as plain:
        for sql, params in statements:
            for table, details in plans.items():
                if re.search(rf"\b(FROM|JOIN) {table}\b", sql):
                    details += [
                        row[3] for row in plain.execute(f"EXPLAIN QUERY PLAN {sql}", params)
                    ]
    assert plans["sent_messages"] and plans["mailbox"]  # the duplicate check and the ack
    scans = [d for details in plans.values() for d in details
             if re.match(r"SCAN (sent_messages|mailbox)\b", d)]  # fmt: skip
    assert scans == []
