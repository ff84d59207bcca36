"""Races that real users produce: double submits, accept against cancel. Both backends.

Each side runs in its own thread and connection; whatever the interleaving, the outcome is one of
the legal ones, nothing is half-done and no request fails with a 500 (no deadlock).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx

from server.db.models import Offer, Room, SupportRequest
from tests.integration.peers import clinician, count, custom_world, supporter

LIMITS = {"auth_attempts_per_minute": 1000, "registrations_per_hour": 1000}


def _together(base_url: str, *calls: Callable[[httpx.Client], httpx.Response]) -> list[int]:
    barrier = threading.Barrier(len(calls))
    statuses = [0] * len(calls)

    def run(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            barrier.wait()
            statuses[i] = calls[i](client).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_double_submit_opens_one_request(database_url: str, tmp_path: Path) -> None:
    with custom_world(database_url, tmp_path, **LIMITS) as world:
        supporter(world, "b")
        asker = clinician(world, "a")

        def ask(client: httpx.Client) -> httpx.Response:
            return client.post("/api/v1/support-requests", json={"topics": ["burnout"]},
                               headers=asker.device.headers)  # fmt: skip

        assert sorted(_together(world.server.base_url, ask, ask, ask)) == [201, 409, 409]
        assert count(world, SupportRequest) == 1
        assert count(world, Offer) == 1


def test_accept_racing_cancel_ends_in_one_legal_state(database_url: str, tmp_path: Path) -> None:
    with custom_world(database_url, tmp_path, **LIMITS) as world:
        helper = supporter(world, "b", concurrent_cap=1, weekly_cap=50)
        asker = clinician(world, "a")
        for _ in range(6):
            request = asker.ask()
            (offer,) = helper.offers()

            def accept(client: httpx.Client, offer_id: str = offer["id"]) -> httpx.Response:
                return client.post(f"/api/v1/offers/{offer_id}/accept",
                                   headers=helper.device.headers)  # fmt: skip

            def cancel(client: httpx.Client, request_id: str = request["id"]) -> httpx.Response:
                return client.post(f"/api/v1/support-requests/{request_id}/cancel",
                                   headers=asker.device.headers)  # fmt: skip

            statuses = _together(world.server.base_url, accept, cancel)
            assert sorted(statuses) == [200, 409], statuses
            final = asker.ok("GET", f"/api/v1/support-requests/{request['id']}")
            if statuses[0] == 200:
                assert final["status"] == "matched" and final["room_id"]
                asker.ok("POST", f"/api/v1/rooms/{final['room_id']}/close")  # frees the slot
            else:
                assert final["status"] == "cancelled" and final["room_id"] is None
        assert count(world, Room) == count(world, Offer, Offer.status == "accepted")
        assert count(world, Offer, Offer.status == "pending") == 0
