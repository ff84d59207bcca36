"""No problem-details response quotes the caller's input (issue 12, item 8).

Every field that is checked against a vocabulary (specialty, career stage, time zone, languages,
topics, urgency, role), every unknown field name and every malformed path id gets a distinctive
marker; the answer must be a 422 problem that says what was wrong without repeating it, and
nothing may change.
"""

from __future__ import annotations

from typing import Any

import pytest

from server.accounts.roles import Role
from server.db.models import SupportRequest
from tests.integration.peers import EMERGENCY, Person, assert_problem, clinician, count, supporter
from tests.world import World

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
MARK = "Zq9xMarker"  # short enough for every max_length, unlike any vocabulary word


def _refused(person: Person, method: str, path: str, body: Any) -> None:
    response = person.call(method, path, body)
    assert_problem(response, 422)
    assert MARK.lower() not in response.text.lower(), (path, body, response.text)


@SQLITE
def test_no_error_detail_quotes_client_input(world: World) -> None:
    helper = supporter(world, "b")
    asker = clinician(world, "a")
    profile = asker.ok("GET", "/api/v1/profile")
    supporting = helper.ok("GET", "/api/v1/supporter-profile")
    good_profile = {"specialty": EMERGENCY, "years_experience": 3, "career_stage": "resident",
                    "languages": ["en"], "time_zone": "Europe/Paris"}  # fmt: skip
    for field, value in (
        ("specialty", MARK),
        ("career_stage", MARK),
        ("time_zone", MARK),
        ("languages", [MARK]),
        ("languages", ["en", MARK * 40]),
        (MARK, "x"),  # an unknown field name
    ):
        _refused(asker, "PUT", "/api/v1/profile", {**good_profile, field: value})
    for body in (
        {"topic_expertise": [MARK]},
        {"topic_expertise": ["burnout"], MARK: 1},
        {"topic_expertise": [], "daily_hours": [{"start": 60, "end": 120, MARK: 0}]},
    ):
        _refused(helper, "PUT", "/api/v1/supporter-profile", body)
    for body in (
        {"topics": [MARK]},
        {"topics": ["burnout"], "urgency": MARK},
        {"topics": ["burnout"], "languages": [MARK]},
        {"topics": ["burnout"], MARK: True},
    ):
        _refused(asker, "POST", "/api/v1/support-requests", body)
    _refused(asker, "GET", f"/api/v1/rooms/{MARK}", None)
    _refused(asker, "GET", f"/api/v1/support-requests/{MARK}-0000", None)

    admin = world.device(Role.INSTITUTION_ADMIN)
    institution = world.institutions["a"]
    response = world.client.post(
        f"/api/v1/institutions/{institution}/invites", json={"role": MARK}, headers=admin.headers
    )
    assert_problem(response, 422)
    assert MARK.lower() not in response.text.lower()

    # Nothing changed.
    assert asker.ok("GET", "/api/v1/profile") == profile
    assert helper.ok("GET", "/api/v1/supporter-profile") == supporting
    assert count(world, SupportRequest) == 0
