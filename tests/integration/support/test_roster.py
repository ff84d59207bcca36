"""The in-memory supporter pools (`support.roster`) across two workers that share only
PostgreSQL and Redis: a change on one is seen by the other, caps hold under concurrent
reservations, and a commit (never a rollback) is what announces a change."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col, func, select

from server.db.changes import SUPPORTER, touch_supporter
from server.db.engine import Database
from server.db.models import Offer
from tests.integration.peers import Person, clinician, count, supporter
from tests.live import LiveServer, serve
from tests.services import PostgresServer, RedisServer
from tests.world import METRICS_HEADERS, World, make_settings, seed_world

LIMITS = {"auth_attempts_per_minute": 1000, "registrations_per_hour": 1000}
PEDIATRICS = "208000000X"


def metric(base_url: str, name: str) -> float:
    with httpx.Client(timeout=5) as client:
        text = client.get(f"{base_url}/metrics", headers=METRICS_HEADERS).text
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match is not None, name
    return float(match.group(1))


def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait for another worker to hear a note (it arrives through Redis, on its own time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class Workers:
    def __init__(self, world: World, other: LiveServer) -> None:
        self.world = world
        self.one = world.server.base_url
        self.two = other.base_url
        self.clients: list[httpx.Client] = []

    def on_two(self, person: Person) -> Person:
        """The same person, talking to the second worker."""
        client = httpx.Client(base_url=self.two, timeout=10)
        self.clients.append(client)
        return Person(world=World(server=self.world.server, client=client), device=person.device,
                      me=person.me)  # fmt: skip

    def notes_on_two(self) -> float:
        return metric(self.two, "peerhaven_match_pool_notes_total")


@pytest.fixture
def workers(
    postgres: PostgresServer, redis_server: RedisServer, tmp_path: Path
) -> Iterator[Workers]:
    url = postgres.create_database(f"roster_{uuid.uuid4().hex[:12]}")
    settings = make_settings(url, tmp_path / "var", redis_url=redis_server.url, **LIMITS)
    with serve(settings) as first, serve(settings) as second, first.client() as client:
        world = World(server=first, client=client)
        seed_world(world)
        both = Workers(world, second)
        try:
            yield both
        finally:
            for opened in both.clients:
                opened.close()


def offered_to(person: Person) -> list[str]:
    return [o["id"] for o in person.offers()]


def test_a_supporter_going_away_on_one_worker_is_not_offered_by_the_other(
    workers: Workers,
) -> None:
    world = workers.world
    best = supporter(world, "b", years=8)  # the better fit for a 6-year clinician
    other = supporter(world, "b", years=30)
    asker = workers.on_two(clinician(world, "a"))
    first = asker.ask()
    assert first["status"] == "offered" and len(offered_to(best)) == 1  # worker two's pool works
    asker.ok("POST", f"/api/v1/support-requests/{first['id']}/cancel")

    notes = workers.notes_on_two()
    best.ok("PUT", "/api/v1/supporter-profile/availability", {"available": False})  # worker one
    until(lambda: workers.notes_on_two() > notes, "worker two to hear of the change")

    second = asker.ask()
    assert second["status"] == "offered"
    assert offered_to(best) == [] and len(offered_to(other)) == 1
    # Worker two knew: it never tried the supporter who went away.
    assert metric(workers.two, "peerhaven_match_pool_stale_total") == 0


def test_a_profile_change_is_seen_by_the_other_worker(workers: Workers) -> None:
    world = workers.world
    best = supporter(world, "b", years=8)
    other = supporter(world, "b", specialty=PEDIATRICS, years=30)
    asker = workers.on_two(clinician(world, "a"))
    first = asker.ask()
    assert len(offered_to(best)) == 1
    asker.ok("POST", f"/api/v1/support-requests/{first['id']}/cancel")

    notes = workers.notes_on_two()
    # Worker one: the best supporter now speaks only French. The reservation does not check
    # languages, so only a current pool on worker two keeps the English speaker from them.
    best.ok("PUT", "/api/v1/profile", {
        "specialty": "207P00000X", "years_experience": 8, "career_stage": "mid-career",
        "languages": ["fr"], "time_zone": "Europe/Paris",
    })  # fmt: skip
    until(lambda: workers.notes_on_two() > notes, "worker two to hear of the change")
    second = asker.ask()
    assert second["status"] == "offered"
    assert offered_to(best) == [] and len(offered_to(other)) == 1


def _together(calls: list[Callable[[], httpx.Response]]) -> list[dict[str, Any]]:
    barrier = threading.Barrier(len(calls))
    results: list[dict[str, Any]] = [{} for _ in calls]

    def run(i: int) -> None:
        barrier.wait()
        response = calls[i]()
        assert response.status_code == 201, response.text
        results[i] = response.json()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _pending_per_supporter(world: World) -> dict[uuid.UUID, int]:
    async def go(session: Any) -> dict[uuid.UUID, int]:
        rows = await session.exec(
            select(Offer.supporter_id, func.count())
            .where(Offer.status == "pending")
            .group_by(col(Offer.supporter_id))
        )
        return dict(rows.all())

    result: dict[uuid.UUID, int] = world.run(go)
    return result


def test_concurrent_reservations_on_both_workers_never_exceed_caps(workers: Workers) -> None:
    world = workers.world
    one = supporter(world, "b", concurrent_cap=1, weekly_cap=10)
    two = supporter(world, "b", concurrent_cap=2, weekly_cap=10)
    askers = [clinician(world, "a") for _ in range(8)]
    sides = [a if i % 2 else workers.on_two(a) for i, a in enumerate(askers)]

    def asking(person: Person) -> Callable[[], httpx.Response]:
        return lambda: person.call("POST", "/api/v1/support-requests",
                                   {"topics": ["adverse-event"]})  # fmt: skip

    results = _together([asking(p) for p in sides])
    statuses = sorted(r["status"] for r in results)
    assert statuses == ["offered"] * 3 + ["unavailable"] * 5, statuses
    pending = _pending_per_supporter(world)
    assert pending == {uuid.UUID(one.account_id): 1, uuid.UUID(two.account_id): 2}

    late = clinician(world, "a")
    for side in (late, workers.on_two(late)):
        assert side.ask()["status"] == "unavailable"
    assert sum(_pending_per_supporter(world).values()) == 3
    # Cancelling frees a slot, and the other worker offers it without a wasted reservation.
    stale = [metric(w, "peerhaven_match_pool_stale_total") for w in (workers.one, workers.two)]
    offered = next((p, r) for p, r in zip(sides, results, strict=True) if r["status"] == "offered")
    notes = workers.notes_on_two()
    askers[sides.index(offered[0])].ok(
        "POST", f"/api/v1/support-requests/{offered[1]['id']}/cancel"
    )  # on worker one
    until(lambda: workers.notes_on_two() > notes, "worker two to hear of the cancel")
    again = workers.on_two(clinician(world, "a")).ask()
    assert again["status"] == "offered"
    assert sum(_pending_per_supporter(world).values()) == 3
    assert [metric(w, "peerhaven_match_pool_stale_total") for w in
            (workers.one, workers.two)] == stale  # fmt: skip
    assert count(world, Offer, Offer.status == "pending") == 3


async def test_changes_are_announced_after_commit_and_never_after_rollback(
    tmp_path: Path,
) -> None:
    from server.db import migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'changes.db'}"
    with ThreadPoolExecutor(max_workers=1) as pool:  # Alembic runs an event loop of its own
        pool.submit(migrate.upgrade, url).result()
    db = Database(url)
    heard: list[frozenset[uuid.UUID]] = []
    unsubscribe = db.changes.subscribe(SUPPORTER, heard.append)
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    try:
        async with db.session() as session:
            touch_supporter(session, kept)
            await session.exec(sa.text("SELECT 1"))  # type: ignore[call-overload]
            assert heard == []  # not before the commit
            await session.commit()
        assert heard == [frozenset({kept})]
        async with db.session() as session:
            await session.exec(sa.text("SELECT 1"))  # type: ignore[call-overload]
            touch_supporter(session, dropped)
            await session.rollback()
            await session.exec(sa.text("SELECT 1"))  # type: ignore[call-overload]
            await session.commit()  # a later commit of the same session says nothing of it
        async with db.session() as session:
            touch_supporter(session, dropped)  # closed without a commit
        assert heard == [frozenset({kept})]
        unsubscribe()
        async with db.session() as session:
            touch_supporter(session, kept)
            await session.commit()
        assert heard == [frozenset({kept})]
    finally:
        await db.dispose()
