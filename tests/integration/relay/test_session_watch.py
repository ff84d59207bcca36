"""The periodic session check is one per worker: one query for all the worker's sockets' tokens,
ending exactly the sockets whose session has ended, and running only while sockets are open."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import col

from server.accounts import auth
from server.db.engine import Database
from server.db.models import AccessToken
from server.relay.watch import SessionWatch
from tests.integration.peers import clinician
from tests.world import World


def _token_ids(world: World, account_id: str, n: int) -> list[uuid.UUID]:
    async def issue(session: Any) -> list[uuid.UUID]:
        now = datetime.now(UTC)
        ids = []
        for _ in range(n):
            issued = await auth.issue_token(
                session, account_id=uuid.UUID(account_id), ttl=timedelta(hours=1), now=now
            )
            grant = await auth.authenticate_token(session, token=issued.token, now=now)
            ids.append(grant.token_id)
        await session.commit()
        return ids

    ids: list[uuid.UUID] = world.run(issue)
    return ids


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_one_query_checks_every_socket_and_ends_only_the_ended(world: World) -> None:
    alice, bob = clinician(world, "a"), clinician(world, "a")
    a1, a2 = _token_ids(world, alice.account_id, 2)
    (b1,) = _token_ids(world, bob.account_id, 1)
    db = Database(world.url)
    selects: list[str] = []

    def seen(_c: object, _cur: object, sql: str, _p: object, _ctx: object, _many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            selects.append(sql)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    watch = SessionWatch(db, clock=lambda: datetime.now(UTC), every=3600)
    ended: list[str] = []
    try:
        with (
            watch.watch(a1, lambda: ended.append("a1 first")),
            watch.watch(a1, lambda: ended.append("a1 second")),
            watch.watch(a2, lambda: ended.append("a2")),
            watch.watch(b1, lambda: ended.append("b1")),
        ):
            assert watch.tokens == 3
            assert await watch.check() == 0 and ended == []  # all active: nobody ended

            async def end_some(session: Any) -> None:
                await session.exec(  # one of alice's two tokens is revoked
                    sa.update(AccessToken).where(col(AccessToken.id) == a1)
                    .values(revoked_at=datetime.now(UTC))
                )  # fmt: skip
                await auth.disable_account(
                    session, account_id=uuid.UUID(bob.account_id), now=datetime.now(UTC)
                )
                await session.commit()

            world.run(end_some)
            selects.clear()
            assert await watch.check() == 3
            assert sorted(ended) == ["a1 first", "a1 second", "b1"]  # a2 still grants access
            assert len(selects) == 1  # one query for every watched token
        assert watch.tokens == 0
        await asyncio.sleep(0)  # the check's task was cancelled with the last socket
        assert watch._task is None
    finally:
        await db.dispose()
