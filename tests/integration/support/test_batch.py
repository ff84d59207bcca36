"""Batch pooling (a setting, off by default): routine requests wait for a window and are
assigned jointly; sooner ones are matched at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from server.db.engine import Database
from server.db.models import Offer, SupportRequest
from server.support import matchmaker
from tests.integration.peers import clinician, count, custom_world, supporter
from tests.world import World

LIMITS = {"auth_attempts_per_minute": 1000, "registrations_per_hour": 1000}


def _window(world: World) -> int:
    async def go() -> int:
        db = Database(world.url)
        try:
            return await matchmaker.assign_pooled(
                db, now=datetime.now(UTC), settings=world.server.settings
            )
        finally:
            await db.dispose()

    return asyncio.run(go())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_routine_requests_wait_for_the_window_and_are_assigned_jointly(
    database_url: str, tmp_path: Path
) -> None:
    # A window far in the future: the test runs it by hand, so nothing races.
    with custom_world(database_url, tmp_path, batch_window_seconds=3600, **LIMITS) as world:
        helpers = [supporter(world, "b", concurrent_cap=1) for _ in range(2)]
        askers = [clinician(world, "a") for _ in range(3)]
        pooled = [askers[0].ask(), askers[1].ask()]
        assert [r["status"] for r in pooled] == ["searching", "searching"]
        assert count(world, Offer) == 0
        # Sooner than routine: matched at once, taking one supporter's only slot.
        assert askers[2].ask(urgency="soon")["status"] == "offered"

        assert _window(world) == 1  # one pooled request gets the remaining supporter
        statuses = sorted(
            a.ok("GET", f"/api/v1/support-requests/{r['id']}")["status"]
            for a, r in zip(askers, pooled, strict=False)
        )
        assert statuses == ["offered", "unavailable"]
        assert sorted(len(h.offers()) for h in helpers) == [1, 1]
        assert _window(world) == 0  # nothing left in the pool


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_batching_is_off_by_default(world: World) -> None:
    assert world.server.settings.batch_window_seconds == 0
    supporter(world, "b")
    assert clinician(world, "a").ask()["status"] == "offered"


def _sweep(world: World, now: datetime) -> int:
    async def go() -> int:
        db = Database(world.url)
        try:
            return await matchmaker.expire(db, now=now, settings=world.server.settings)
        finally:
            await db.dispose()

    return asyncio.run(go())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_request_left_searching_is_picked_up_by_the_sweep(world: World) -> None:
    helper = supporter(world, "b")
    asker = clinician(world, "a")
    request = asker.ask()
    (offer,) = helper.offers()
    helper.ok("POST", f"/api/v1/offers/{offer['id']}/decline")  # no one else: unavailable
    # Simulate a search interrupted by a restart: the request is back to searching, unoffered.
    request_id = uuid.UUID(request["id"])

    async def interrupt(session: Any) -> None:
        await session.exec(
            sa.update(SupportRequest)
            .where(SupportRequest.id == request_id)  # type: ignore[arg-type]
            .values(status="searching", open_for=uuid.UUID(asker.account_id))
        )
        await session.exec(sa.delete(Offer))

    world.run(interrupt)
    assert _sweep(world, datetime.now(UTC)) == 0  # too recent to count as interrupted
    assert asker.ok("GET", f"/api/v1/support-requests/{request_id}")["status"] == "searching"
    _sweep(world, datetime.now(UTC) + timedelta(minutes=1))
    assert asker.ok("GET", f"/api/v1/support-requests/{request_id}")["status"] == "offered"
