"""Profiles, support requests and offers through the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from server.accounts.roles import Role
from server.db.models import Offer, Profile, Room, SupporterProfile, SupportRequest
from tests.integration.peers import (
    EMERGENCY,
    _person,
    assert_problem,
    clinician,
    count,
    custom_world,
    supporter,
)
from tests.world import World

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE
def test_profiles_round_trip_and_reject_unknown_codes(world: World) -> None:
    helper = supporter(world, "b", topics=("burnout", "adverse-event"))
    profile = helper.ok("GET", "/api/v1/profile")
    assert profile["specialty"] == EMERGENCY and profile["specialty_label"] == "Emergency Medicine"
    before = helper.ok("GET", "/api/v1/supporter-profile")
    assert before["topic_expertise"] == ["adverse-event", "burnout"] and before["available"]

    bad = {"specialty": "999X00000X", "years_experience": 3, "career_stage": "resident",
           "languages": ["en"], "time_zone": "Europe/Paris"}  # fmt: skip
    assert_problem(helper.call("PUT", "/api/v1/profile", bad), 422, "unknown specialty")
    grouping = {**bad, "specialty": "ph:physicians"}
    assert_problem(helper.call("PUT", "/api/v1/profile", grouping), 422, "unknown specialty")
    zone = {**bad, "specialty": EMERGENCY, "time_zone": "Mars/Olympus"}
    assert_problem(helper.call("PUT", "/api/v1/profile", zone), 422, "time zone")
    stage = {**bad, "specialty": EMERGENCY, "career_stage": "wizard"}
    assert_problem(helper.call("PUT", "/api/v1/profile", stage), 422, "career stage")
    topics = {"topic_expertise": ["astrology"], "concurrent_cap": 1, "weekly_cap": 1}
    assert_problem(helper.call("PUT", "/api/v1/supporter-profile", topics), 422, "topic")
    hours = {"topic_expertise": [], "daily_hours": [{"start": 600, "end": 600}]}
    assert_problem(helper.call("PUT", "/api/v1/supporter-profile", hours), 422, "window")
    assert helper.ok("GET", "/api/v1/profile") == profile
    assert helper.ok("GET", "/api/v1/supporter-profile") == before

    away = helper.ok("PUT", "/api/v1/supporter-profile/availability", {"available": False})
    assert away["available"] is False
    windows = {"topic_expertise": ["burnout"], "daily_hours": [{"start": 1320, "end": 120}]}
    assert helper.ok("PUT", "/api/v1/supporter-profile", windows)["daily_hours"] == [
        {"start": 1320, "end": 120}
    ]
    # A clinician has no supporter profile; a request needs a profile first.
    asker = clinician(world, "a")
    assert_problem(asker.call("GET", "/api/v1/supporter-profile"), 403)
    assert asker.ok("GET", "/api/v1/specialties")[0]["code"]


def test_request_is_offered_to_another_institution_and_accepted_into_a_room(world: World) -> None:
    same_institution = supporter(world, "a", years=8)
    other_network = supporter(world, "c", years=8)
    helper = supporter(world, "b", years=8, topics=("adverse-event", "medical-error"))
    asker = clinician(world, "a")

    request = asker.ask(("adverse-event",), urgency="soon")
    assert request["status"] == "offered" and request["offer_expires_at"]
    assert request["crisis_resources"] == [] and request["room_id"] is None
    assert same_institution.offers() == [] and other_network.offers() == []
    (offer,) = helper.offers()
    assert offer["topics"] == ["adverse-event"] and offer["urgency"] == "soon"
    assert offer["summary"] and offer["requester_specialty"] == "Emergency Medicine"
    assert offer["requester_experience_band"] == "5-9 years"

    room = helper.ok("POST", f"/api/v1/offers/{offer['id']}/accept")
    assert room["status"] == "open" and room["topics"] == ["adverse-event"]
    assert room["me"]["handle"] != room["peer"]["handle"]
    assert room["peer"]["specialty"] == "Emergency Medicine"
    status = asker.ok("GET", f"/api/v1/support-requests/{request['id']}")
    assert status["status"] == "matched" and status["room_id"] == room["id"]
    assert helper.offers() == []
    mine = asker.ok("GET", "/api/v1/rooms")
    assert [r["id"] for r in mine] == [room["id"]]
    assert mine[0]["me"]["member_id"] == room["peer"]["member_id"]
    # Matched: the clinician may ask again.
    assert asker.ask()["status"] in ("offered", "unavailable")


@SQLITE
def test_decline_moves_on_and_no_one_left_is_honest(world: World) -> None:
    first = supporter(world, "b", years=8, topics=("adverse-event",))
    second = supporter(world, "b", years=40, topics=())
    asker = clinician(world, "a")
    request = asker.ask()
    (offer,) = first.offers()
    assert second.offers() == []
    declined = first.ok("POST", f"/api/v1/offers/{offer['id']}/decline")
    assert declined == {"id": offer["id"], "status": "declined"}
    assert asker.ok("GET", f"/api/v1/support-requests/{request['id']}")["status"] == "offered"
    (next_offer,) = second.offers()
    second.ok("POST", f"/api/v1/offers/{next_offer['id']}/decline")
    final = asker.ok("GET", f"/api/v1/support-requests/{request['id']}")
    assert final["status"] == "unavailable"
    assert any("988" in line for line in final["crisis_resources"])
    assert first.offers() == [] and second.offers() == []
    # Declining again, or accepting a declined offer, changes nothing.
    before = count(world, Offer, Offer.status == "declined")
    assert_problem(first.call("POST", f"/api/v1/offers/{offer['id']}/decline"), 409, "declined")
    assert_problem(first.call("POST", f"/api/v1/offers/{offer['id']}/accept"), 409, "declined")
    assert count(world, Offer, Offer.status == "declined") == before == 2
    assert count(world, Room) == 0


@SQLITE
def test_no_supporter_at_all_means_unavailable_with_crisis_resources(world: World) -> None:
    supporter(world, "a")  # own institution only
    supporter(world, "b", available=False)
    asker = clinician(world, "a")
    request = asker.ask()
    assert request["status"] == "unavailable" and request["crisis_resources"]
    assert count(world, Offer) == 0


@SQLITE
def test_one_open_request_and_cancel(world: World) -> None:
    helper = supporter(world, "b", concurrent_cap=1)
    asker = clinician(world, "a")
    nobody = clinician(world, "c")
    request = asker.ask()
    assert request["status"] == "offered"
    before = count(world, SupportRequest), count(world, Offer)
    assert_problem(asker.call("POST", "/api/v1/support-requests", {"topics": ["burnout"]}),
                   409, "already have an open")  # fmt: skip
    assert (count(world, SupportRequest), count(world, Offer)) == before

    # Someone else's request is invisible and cannot be cancelled.
    assert_problem(nobody.call("GET", f"/api/v1/support-requests/{request['id']}"), 404)
    assert_problem(nobody.call("POST", f"/api/v1/support-requests/{request['id']}/cancel"), 404)

    cancelled = asker.ok("POST", f"/api/v1/support-requests/{request['id']}/cancel")
    assert cancelled["status"] == "cancelled"
    assert helper.offers() == []  # the reservation was released
    assert_problem(asker.call("POST", f"/api/v1/support-requests/{request['id']}/cancel"),
                   409, "cancelled")  # fmt: skip
    again = asker.ask()
    assert again["status"] == "offered" and again["id"] != request["id"]


@SQLITE
def test_bad_request_bodies_change_nothing(world: World) -> None:
    supporter(world, "b")
    asker = clinician(world, "a")
    for body, words in (
        ({"topics": ["astrology"]}, ("topic",)),
        ({"topics": []}, ("topics",)),
        ({"topics": ["burnout"], "urgency": "yesterday"}, ("urgency",)),
        ({"topics": ["burnout"], "languages": ["english"]}, ("language",)),
        ({"topics": ["burnout"], "surprise": 1}, ("unknown field",)),
    ):
        assert_problem(asker.call("POST", "/api/v1/support-requests", body), 422, *words)
    assert count(world, SupportRequest) == 0
    # A supporter may ask too; this one's network has no other supporter.
    from_south = supporter(world, "c")
    assert from_south.ask()["status"] == "unavailable"
    assert count(world, SupportRequest) == 1


@SQLITE
def test_accepting_someone_elses_or_an_expired_offer(tmp_path: Path, database_url: str) -> None:
    with custom_world(database_url, tmp_path, offer_ttl_seconds=1, offer_sweep_seconds=0) as world:
        helper = supporter(world, "b")
        other = supporter(world, "b", available=False)
        asker = clinician(world, "a")
        request = asker.ask()
        (offer,) = helper.offers()
        assert_problem(other.call("POST", f"/api/v1/offers/{offer['id']}/accept"), 404)
        assert_problem(other.call("POST", f"/api/v1/offers/{offer['id']}/decline"), 404)
        time.sleep(1.1)
        assert helper.offers() == []  # expired offers are not shown
        assert_problem(helper.call("POST", f"/api/v1/offers/{offer['id']}/accept"), 409, "expired")
        assert count(world, Room) == 0
        assert count(world, Offer, Offer.status == "accepted") == 0
        # Lazy expiry: reading the request moves it on (here: no one else is available).
        status = asker.ok("GET", f"/api/v1/support-requests/{request['id']}")
        assert status["status"] == "unavailable"
        assert count(world, Offer, Offer.status == "expired") == 1


def test_sweeper_moves_an_unanswered_offer_to_the_next_candidate(
    tmp_path: Path, database_url: str
) -> None:
    with custom_world(
        database_url, tmp_path, offer_ttl_seconds=1, offer_sweep_seconds=0.2
    ) as world:
        first = supporter(world, "b", years=8)
        second = supporter(world, "b", years=45, topics=())
        asker = clinician(world, "a")
        asker.ask()
        assert len(first.offers()) == 1 and second.offers() == []
        deadline = time.monotonic() + 5
        while not second.offers() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(second.offers()) == 1 and first.offers() == []
        assert count(world, Offer, Offer.status == "expired") == 1


@SQLITE
def test_availability_and_caps_are_respected(world: World) -> None:
    helper = supporter(world, "b", concurrent_cap=1, weekly_cap=5)
    first, second = clinician(world, "a"), clinician(world, "a")
    assert first.ask()["status"] == "offered"
    assert second.ask()["status"] == "unavailable"  # concurrent cap reached by the pending offer
    helper.ok("PUT", "/api/v1/supporter-profile/availability", {"available": False})
    (offer,) = helper.offers()  # going away keeps the pending offer answerable
    helper.ok("POST", f"/api/v1/offers/{offer['id']}/accept")
    assert count(world, SupporterProfile, SupporterProfile.available == False) == 1  # noqa: E712
    assert count(world, Profile) == 3


@SQLITE
def test_a_disabled_supporter_is_never_reserved_even_by_a_stale_pool(world: World) -> None:
    import uuid
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from server.db.models import Account

    helpers = [supporter(world, "b", years=8, topics=("adverse-event",)) for _ in range(2)]
    asker = clinician(world, "a")
    first = asker.ask(("adverse-event",))  # builds the worker's pool with both helpers
    assert first["status"] == "offered"
    offered = next(h for h in helpers if h.offers())
    untouched = next(h for h in helpers if h is not offered)
    asker.ok("POST", f"/api/v1/support-requests/{first['id']}/cancel")
    offered.ok("PUT", "/api/v1/supporter-profile/availability", {"available": False})
    disabled = uuid.UUID(untouched.account_id)

    async def disable(session):  # type: ignore[no-untyped-def]
        # Straight in the database (as an operator's script would): no note reaches the pool.
        await session.exec(
            sa.update(Account).where(Account.id == disabled).values(disabled_at=datetime.now(UTC))
        )

    world.run(disable)
    again = asker.ask(("adverse-event",))
    assert again["status"] == "unavailable"
    assert count(world, Offer, Offer.supporter_id == disabled) == 0


def test_asking_without_a_profile_is_refused_and_changes_nothing(world: World) -> None:
    supporter(world, "b")
    asker = _person(world, Role.CLINICIAN, "a")  # registered, no profile yet
    before = count(world, SupportRequest), count(world, Offer)
    assert_problem(asker.call("POST", "/api/v1/support-requests", {"topics": ["burnout"]}),
                   409, "set your profile")  # fmt: skip
    assert (count(world, SupportRequest), count(world, Offer)) == before
