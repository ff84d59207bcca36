""" "Keep looking for me": an unavailable request opens again (`waiting`), stays open with the
crisis lines, and is offered as soon as a supporter becomes free (availability switched on, a
room ended, or the periodic retry); it ends after `waiting_max_seconds`; only the owner's own
unavailable request can keep looking, and a refused call changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.db.engine import Database
from server.db.models import SupportRequest
from server.support import matchmaker
from tests.integration.peers import assert_problem, clinician, count, custom_world, supporter
from tests.world import World

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def keep_looking(person: object, request_id: str) -> object:
    return person.call("POST", f"/api/v1/support-requests/{request_id}/keep-looking")  # type: ignore[attr-defined]


def test_waiting_request_is_offered_when_a_supporter_becomes_available(world: World) -> None:
    asker = clinician(world, "a")
    request = asker.ask()
    assert request["status"] == "unavailable"
    waiting = keep_looking(asker, request["id"])
    assert waiting.status_code == 200, waiting.text
    body = waiting.json()
    assert body["status"] == "waiting" and body["crisis_resources"]
    # Asking twice changes nothing; a second request cannot be opened meanwhile.
    assert keep_looking(asker, request["id"]).json()["status"] == "waiting"
    assert_problem(asker.call("POST", "/api/v1/support-requests", {"topics": ["burnout"]}), 409)

    helper = supporter(world, "b", available=False)
    assert asker.ok("GET", f"/api/v1/support-requests/{request['id']}")["status"] == "waiting"
    helper.ok("PUT", "/api/v1/supporter-profile/availability", {"available": True})
    assert asker.ok("GET", f"/api/v1/support-requests/{request['id']}")["status"] == "offered"
    (offer,) = helper.offers()
    helper.ok("POST", f"/api/v1/offers/{offer['id']}/accept")
    assert asker.ok("GET", f"/api/v1/support-requests/{request['id']}")["status"] == "matched"


@SQLITE_ONLY
def test_a_declined_waiting_request_waits_again_and_can_be_cancelled(world: World) -> None:
    asker = clinician(world, "a")
    request = asker.ask()
    keep_looking(asker, request["id"])
    helper = supporter(world, "b")  # saving an available profile retries at once
    (offer,) = helper.offers()
    helper.ok("POST", f"/api/v1/offers/{offer['id']}/decline")
    again = asker.ok("GET", f"/api/v1/support-requests/{request['id']}")
    assert again["status"] == "waiting"  # no one else: it keeps looking, still open
    cancelled = asker.ok("POST", f"/api/v1/support-requests/{request['id']}/cancel")
    assert cancelled["status"] == "cancelled"
    assert asker.ask(("burnout",))["status"] in ("offered", "unavailable")  # closed: may ask anew


@SQLITE_ONLY
def test_only_the_owners_unavailable_request_keeps_looking(world: World) -> None:
    asker = clinician(world, "a")
    other = clinician(world, "a")
    request = asker.ask()
    assert_problem(keep_looking(other, request["id"]), 404)
    assert_problem(keep_looking(asker, str(uuid.uuid4())), 404)
    helper = supporter(world, "b")
    offered = other.ask()
    assert offered["status"] == "offered"
    assert_problem(keep_looking(other, offered["id"]), 409, "offered")
    assert asker.ok("GET", f"/api/v1/support-requests/{request['id']}")["status"] == "unavailable"
    assert count(world, SupportRequest, SupportRequest.status == "waiting") == 0
    assert helper.offers()[0]["id"]


@SQLITE_ONLY
def test_waiting_ends_after_the_longest_wait(database_url: str, tmp_path: Path) -> None:
    with custom_world(database_url, tmp_path, waiting_max_seconds=60) as built:
        asker = clinician(built, "a")
        request = asker.ask()
        keep_looking(asker, request["id"])
        later = datetime.now(UTC) + timedelta(seconds=61)
        settings = built.server.settings

        async def retry() -> int:
            db = Database(settings.database_url)
            try:
                return await matchmaker.retry_waiting(db, now=later, settings=settings)
            finally:
                await db.dispose()

        built.run(lambda _session: retry())
        final = asker.ok("GET", f"/api/v1/support-requests/{request['id']}")
        assert final["status"] == "unavailable"


@SQLITE_ONLY
def test_a_room_ending_frees_the_supporter_for_a_waiting_request(world: World) -> None:
    helper = supporter(world, "b", concurrent_cap=1)
    first, second = clinician(world, "a"), clinician(world, "a")
    assert first.ask()["status"] == "offered"
    (offer,) = helper.offers()
    room = helper.ok("POST", f"/api/v1/offers/{offer['id']}/accept")
    request = second.ask()
    assert request["status"] == "unavailable"  # the one supporter is at their cap
    assert keep_looking(second, request["id"]).json()["status"] == "waiting"
    helper.ok("POST", f"/api/v1/rooms/{room['id']}/close")
    assert second.ok("GET", f"/api/v1/support-requests/{request['id']}")["status"] == "offered"
