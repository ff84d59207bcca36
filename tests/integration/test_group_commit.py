"""Group commit on a real database: batching, isolation of failures, persisted before answered."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server import directory, migrate
from server.db.engine import Database
from server.db.group_commit import GroupCommit
from server.db.models import Network


class Refused(Exception):
    pass


def _migrate(url: str) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(migrate.upgrade, url).result()


async def _networks(db: Database) -> int:
    async with db.session() as session:
        return int((await session.exec(select(func.count()).select_from(Network))).one())


async def test_concurrent_operations_share_commits_and_failures_stay_apart(
    database_url: str,
) -> None:
    _migrate(database_url)
    db = Database(database_url)
    commits = 0

    def count_commit(_conn: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine.sync_engine, "commit", count_commit)
    writes = GroupCommit(db, expected=(Refused,), max_batch=64)
    writes.start()
    now = datetime.now(UTC)

    def create(i: int):  # type: ignore[no-untyped-def]
        async def op(session: AsyncSession) -> uuid.UUID:
            if i % 10 == 3:
                raise Refused(f"number {i}")  # validated before writing: writes nothing
            network = await directory.create_network(session, slug=f"n{i}", name=f"N{i}", now=now)
            return network.id

        return op

    try:
        results = await asyncio.gather(*(writes.run(create(i)) for i in range(100)),
                                       return_exceptions=True)  # fmt: skip
        refused = [r for r in results if isinstance(r, Refused)]
        assert len(refused) == 10
        assert all(isinstance(r, uuid.UUID) for r in results if not isinstance(r, Refused))
        assert await _networks(db) == 90  # every answered success is persisted
        assert commits < 50  # batched: far fewer commits than operations

        # An unexpected failure (here a duplicate slug's Conflict, which this GroupCommit does not
        # list as expected) rolls its batch back; the others are retried alone and succeed.
        ops = [create(1000), create(0), create(1001)]  # n0 exists already
        results = await asyncio.gather(*(writes.run(op) for op in ops), return_exceptions=True)
        assert isinstance(results[0], uuid.UUID) and isinstance(results[2], uuid.UUID)
        assert isinstance(results[1], Exception)
        assert await _networks(db) == 92
    finally:
        await writes.stop()
        await db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_not_started_commits_each_operation_alone(database_url: str) -> None:
    _migrate(database_url)
    db = Database(database_url)
    writes = GroupCommit(db, expected=(Refused,))
    now = datetime.now(UTC)
    try:

        async def op(session: AsyncSession) -> str:
            await directory.create_network(session, slug="solo", name="Solo", now=now)
            return "done"

        assert await writes.run(op) == "done"
        assert await _networks(db) == 1
    finally:
        await db.dispose()
