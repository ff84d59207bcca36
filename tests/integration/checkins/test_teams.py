"""Team load signals through the signed intake: a 12-week baseline, a hard week flags a team,
its linked members (and only they) get a check-in; the admin sees team scores and the formula,
never members."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.checkins.states import CheckinReason, CheckinStatus
from tests.integration.checkins.conftest import CheckinWorld
from tests.integration.checkins.intake import TEAM_SIGNALS, post_signed

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
MONDAY = date(2026, 3, 9)


def _week(monday: date, icu_after_hours: float, icu_events: float = 1) -> dict[str, Any]:
    n = (monday.toordinal() // 7) % 4
    return {"week": monday.isoformat(), "teams": [
        {"team": "ICU-4", "after_hours_minutes": icu_after_hours, "adverse_events": icu_events,
         "census": 18},
        {"team": "Ward-2", "after_hours_minutes": 55 + 5 * n, "adverse_events": n % 2,
         "census": 24},
    ]}  # fmt: skip


def _post_baseline(checkin_world: CheckinWorld) -> None:
    for back in range(12, 0, -1):
        monday = MONDAY - timedelta(weeks=back)
        after = 60 + 4 * (back % 3)
        sent = post_signed(checkin_world.world.client, checkin_world.credential,
                           _week(monday, after), path=TEAM_SIGNALS)  # fmt: skip
        assert sent.status_code == 202, sent.text


def test_a_hard_week_flags_the_team_and_offers_its_linked_members(
    checkin_world: CheckinWorld, tmp_path: Path
) -> None:
    world = checkin_world.world
    icu = checkin_world.clinician(tmp_path, "icu", staff="N-1")
    icu.client.link_staff_identifier("N-1", team="icu-4 ")
    ward = checkin_world.clinician(tmp_path, "ward", staff="N-2")
    ward.client.link_staff_identifier("N-2", team="Ward-2")
    _post_baseline(checkin_world)
    assert checkin_world.counts()["checkin_offers"] == 0
    hard = post_signed(world.client, checkin_world.credential, _week(MONDAY, 140, 5),
                       path=TEAM_SIGNALS)  # fmt: skip
    assert hard.status_code == 202 and hard.json() == {"status": "accepted"}
    (offer,) = checkin_world.offers()
    assert str(offer.account_id) == icu.me["account_id"]
    assert offer.reason == CheckinReason.TEAM and offer.status == CheckinStatus.SCHEDULED

    scores = world.client.get(
        f"/api/v1/institutions/{world.institutions['a']}/team-scores",
        headers=checkin_world.admin.headers,
    )
    assert scores.status_code == 200
    body = scores.json()
    assert body["week"] == MONDAY.isoformat()
    assert body["formula"]["threshold"] == 2.0 and body["formula"]["baseline_weeks"] == 12
    assert body["formula"]["weights"] == {"after_hours_minutes": 0.5, "adverse_events": 0.3,
                                          "census": 0.2}  # fmt: skip
    flagged = {team["team"]: team["flagged"] for team in body["teams"]}
    assert flagged == {"icu-4": True, "ward-2": False}
    icu_score = next(t for t in body["teams"] if t["team"] == "icu-4")
    assert icu_score["signals"]["after_hours_minutes"]["z"] > 2
    text = scores.text
    for private in ("account", "member", "linked", icu.me["account_id"]):
        assert private not in text


def test_a_week_cannot_be_posted_twice_and_bad_signals_change_nothing(
    checkin_world: CheckinWorld,
) -> None:
    world = checkin_world.world
    first = post_signed(world.client, checkin_world.credential, _week(MONDAY, 60),
                        path=TEAM_SIGNALS)  # fmt: skip
    assert first.status_code == 202
    before = checkin_world.counts()
    again = post_signed(world.client, checkin_world.credential, _week(MONDAY, 999),
                        path=TEAM_SIGNALS)  # fmt: skip
    assert again.status_code == 409
    for bad in (b"not json", b'{"week": "2026-03-16"}', b'{"week": "2026-03-17", "teams": []}'):
        refused = post_signed(world.client, checkin_world.credential, bad, path=TEAM_SIGNALS)
        assert refused.status_code == 422, refused.text
    unsigned = world.client.post(TEAM_SIGNALS, json=_week(MONDAY + timedelta(weeks=1), 60))
    assert unsigned.status_code == 401
    assert checkin_world.counts() == before
    scores = world.client.get(
        f"/api/v1/institutions/{world.institutions['a']}/team-scores",
        params={"week": MONDAY.isoformat()}, headers=checkin_world.admin.headers,
    ).json()  # fmt: skip
    icu = next(t for t in scores["teams"] if t["team"] == "icu-4")
    assert icu["signals"]["after_hours_minutes"]["value"] == 60


def test_scores_of_another_institution_are_forbidden(checkin_world: CheckinWorld) -> None:
    world = checkin_world.world
    response = world.client.get(
        f"/api/v1/institutions/{world.institutions['c']}/team-scores",
        headers=checkin_world.admin.headers,
    )
    assert response.status_code == 403
    empty = world.client.get(
        f"/api/v1/institutions/{world.institutions['a']}/team-scores",
        headers=checkin_world.admin.headers,
    ).json()
    assert empty["week"] is None and empty["teams"] == []
