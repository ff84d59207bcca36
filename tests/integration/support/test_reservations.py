"""Concurrent requests never push a supporter over a cap, on SQLite and PostgreSQL.

The requests really overlap: each comes from its own thread and HTTP connection, and the server
interleaves them on its event loop, each with its own database connection.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx

from server.db.models import Offer
from tests.integration.peers import Person, clinician, count, custom_world, supporter

LIMITS = {"auth_attempts_per_minute": 1000, "registrations_per_hour": 1000}


def _ask_together(people: list[Person]) -> list[dict[str, Any]]:
    barrier = threading.Barrier(len(people))
    results: list[dict[str, Any]] = [{} for _ in people]

    def ask(i: int, person: Person) -> None:
        with httpx.Client(base_url=person.world.server.base_url, timeout=30) as client:
            barrier.wait()
            response = client.post("/api/v1/support-requests", json={"topics": ["burnout"]},
                                   headers=person.device.headers)  # fmt: skip
            assert response.status_code == 201, response.text
            results[i] = response.json()

    threads = [threading.Thread(target=ask, args=(i, p)) for i, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_requests_respect_the_concurrent_cap(database_url: str, tmp_path: Path) -> None:
    with custom_world(database_url, tmp_path, **LIMITS) as world:
        helper = supporter(world, "b", concurrent_cap=2, weekly_cap=50)
        askers = [clinician(world, "a") for _ in range(8)]
        results = _ask_together(askers)
        statuses = sorted(r["status"] for r in results)
        assert statuses == ["offered"] * 2 + ["unavailable"] * 6
        assert len(helper.offers()) == 2
        assert count(world, Offer) == 2


def test_concurrent_requests_respect_the_weekly_cap(database_url: str, tmp_path: Path) -> None:
    with custom_world(database_url, tmp_path, **LIMITS) as world:
        helpers = [supporter(world, "b", concurrent_cap=10, weekly_cap=2) for _ in range(2)]
        askers = [clinician(world, "a") for _ in range(7)]
        results = _ask_together(askers)
        assert sorted(r["status"] for r in results) == ["offered"] * 4 + ["unavailable"] * 3
        assert [len(h.offers()) for h in helpers] == [2, 2]
        # Declining frees the concurrent slot but not the weekly one: nothing else moves.
        first = helpers[0].offers()[0]
        helpers[0].ok("POST", f"/api/v1/offers/{first['id']}/decline")
        assert len(helpers[0].offers()) == 1
