"""Rate limits through the `limits` library (issue 12, item 17): one window for every worker
when Redis is configured, and a per-account budget for opening and cancelling requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis

from server.db.models import SupportRequest
from server.support.states import RequestStatus
from tests.devices import Device
from tests.integration.peers import PROBLEM, assert_problem, clinician, count, supporter
from tests.live import LiveServer, serve
from tests.services import RedisServer
from tests.world import World, make_settings, seed_world

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@contextmanager
def two_workers(database_url: str, tmp_path: Path, **overrides: Any) -> Iterator[list[LiveServer]]:
    """Two app instances over one database (and, with `redis_url`, one Redis), like two
    uvicorn workers; they share `data_dir`, so the same server secrets."""
    # One public origin, as behind a load balancer: a signature made for one worker works at both.
    settings = make_settings(
        database_url, tmp_path / "var", public_origin="https://peerhaven.test", **overrides
    )
    with ExitStack() as stack:
        yield [stack.enter_context(serve(settings)) for _ in range(2)]


def _registrations(servers: list[LiveServer], order: list[int]) -> list[int]:
    body = Device().registration("0000-0000-0000-0000", servers[0].settings.origin)
    statuses = []
    for index in order:
        with servers[index].client() as client:
            statuses.append(client.post("/api/v1/accounts", json=body).status_code)
    return statuses


@SQLITE_ONLY
def test_two_workers_share_one_window_on_redis(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    with two_workers(
        database_url, tmp_path, redis_url=redis_server.url, registrations_per_hour=2
    ) as servers:
        # Two attempts on one worker use the budget of both: the third, on the other, is refused.
        assert _registrations(servers, [0, 0, 1, 1, 0]) == [409, 409, 429, 429, 429]
        with servers[1].client() as client:
            body = Device().registration("0000-0000-0000-0000", servers[1].settings.origin)
            limited = client.post("/api/v1/accounts", json=body)
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith(PROBLEM)
        assert 1 <= int(limited.headers["retry-after"]) <= 3600
    # Redis keeps no client address or route in its keys: only keyed hashes.
    with redis.Redis.from_url(redis_server.url) as direct:
        keys = direct.keys("*")
    assert keys and all(b"127.0.0.1" not in k and b"/api" not in k for k in keys)


@SQLITE_ONLY
def test_without_redis_each_worker_counts_for_itself(database_url: str, tmp_path: Path) -> None:
    with two_workers(database_url, tmp_path, registrations_per_hour=2) as servers:
        assert _registrations(servers, [0, 0, 1, 1, 0]) == [409, 409, 409, 409, 429]


@SQLITE_ONLY
def test_opening_and_cancelling_requests_share_a_per_account_budget(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    with two_workers(
        database_url, tmp_path, redis_url=redis_server.url, request_changes_per_hour=3
    ) as servers:
        with servers[0].client() as first_client, servers[1].client() as second:
            world = World(server=servers[0], client=first_client)
            seed_world(world)
            supporter(world, "b", concurrent_cap=5)
            asker = clinician(world, "a")
            other = clinician(world, "a")
            first = asker.ask()  # worker 0
            cancel = f"/api/v1/support-requests/{first['id']}/cancel"
            response = second.post(cancel, headers=asker.device.headers)  # worker 1
            assert response.status_code == 200, response.text
            again = asker.ask()  # worker 0: the third change this hour
            refused = second.post(
                f"/api/v1/support-requests/{again['id']}/cancel", headers=asker.device.headers
            )
            body = assert_problem(refused, 429, "too many")
            assert int(refused.headers["retry-after"]) >= 1 and "retry_after" not in body
            status = asker.ok("GET", f"/api/v1/support-requests/{again['id']}")["status"]
            assert status == RequestStatus.OFFERED  # the refused cancel changed nothing
            # The budget is the account's, not the address's: another account still may.
            assert other.ask()["status"] == RequestStatus.OFFERED
            assert count(world, SupportRequest) == 3
