"""The team score (server.checkins.teams) on synthetic signals: the documented formula by hand,
the thresholds, a thin baseline, and the signal format's refusals."""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.checkins.teams import Weights, parse_signals, score_week
from server.db.models import TeamSignal
from server.errors import InvalidInput

WEIGHTS = Weights(after_hours_minutes=0.5, adverse_events=0.3, census=0.2)
MONDAY = date(2026, 3, 9)


def _row(team: str, after: float, events: float, census: float, week: date = MONDAY) -> TeamSignal:
    return TeamSignal(institution_id=uuid.UUID(int=1), team=team, week=week,
                      after_hours_minutes=after, adverse_events=events, census=census,
                      received_at=datetime.now(UTC))  # fmt: skip


def _baseline() -> list[TeamSignal]:
    rows = []
    for week in range(12):
        monday = MONDAY - timedelta(weeks=week + 1)
        for i, team in enumerate(("icu-4", "ward-2", "ed")):
            rows.append(_row(team, 60 + 5 * ((week + i) % 4), (week + i) % 3, 15 + i, monday))
    return rows


def test_the_score_is_the_documented_weighted_z_sum() -> None:
    baseline = _baseline()
    (scored,) = score_week([_row("icu-4", 120, 6, 20)], baseline, weights=WEIGHTS,
                           threshold=2.0, min_baseline=4)  # fmt: skip
    by_hand = 0.0
    for signal, value in (("after_hours_minutes", 120), ("adverse_events", 6), ("census", 20)):
        values = [getattr(r, signal) for r in baseline]
        z = (value - statistics.fmean(values)) / statistics.stdev(values)
        assert scored.signals[signal].z == pytest.approx(z, abs=1e-4)
        by_hand += getattr(WEIGHTS, signal) * z
    assert scored.score == pytest.approx(by_hand, abs=1e-3)
    assert scored.flagged is True


def test_an_ordinary_week_is_not_flagged_and_the_threshold_is_the_setting() -> None:
    baseline = _baseline()
    (ordinary,) = score_week([_row("ward-2", 65, 1, 16)], baseline, weights=WEIGHTS,
                             threshold=2.0, min_baseline=4)  # fmt: skip
    assert not ordinary.flagged and abs(ordinary.score) < 1
    (low_bar,) = score_week([_row("ward-2", 65, 1, 16)], baseline, weights=WEIGHTS,
                            threshold=ordinary.score, min_baseline=4)  # fmt: skip
    assert low_bar.flagged


def test_a_thin_or_flat_baseline_scores_zero() -> None:
    thin = _baseline()[:3]
    (scored,) = score_week([_row("ed", 500, 50, 90)], thin, weights=WEIGHTS, threshold=2.0,
                           min_baseline=4)  # fmt: skip
    assert scored.score == 0 and not scored.flagged
    assert scored.signals["census"].baseline_mean is None
    flat = [_row("ed", 60, 1, 10, MONDAY - timedelta(weeks=w + 1)) for w in range(6)]
    (flat_scored,) = score_week([_row("ed", 500, 50, 90)], flat, weights=WEIGHTS, threshold=2.0,
                                min_baseline=4)  # fmt: skip
    assert flat_scored.score == 0


@given(st.floats(0, 1000), st.floats(0, 1000))
def test_more_load_never_lowers_the_score(low: float, extra: float) -> None:
    baseline = _baseline()
    a, b = (score_week([_row("icu-4", value, 1, 16)], baseline, weights=WEIGHTS, threshold=2.0,
                       min_baseline=4)[0].score for value in (low, low + extra))  # fmt: skip
    assert b >= a - 1e-3


@pytest.mark.parametrize(
    "raw",
    [
        [],
        {"week": "2026-03-10", "teams": [{"team": "a", "after_hours_minutes": 1,
                                          "adverse_events": 0, "census": 1}]},  # a Tuesday
        {"week": "not a date", "teams": []},
        {"week": "2026-03-09", "teams": []},
        {"week": "2026-03-09", "teams": [{"team": "a"}]},
        {"week": "2026-03-09", "teams": [{"team": "a", "after_hours_minutes": -1,
                                          "adverse_events": 0, "census": 1}]},
        {"week": "2026-03-09", "teams": [{"team": "a", "after_hours_minutes": "SECRET",
                                          "adverse_events": 0, "census": 1}]},
        {"week": "2026-03-09", "teams": [{"team": "a", "after_hours_minutes": True,
                                          "adverse_events": 0, "census": 1}]},
        {"week": "2026-03-09", "teams": [{"team": "A", "after_hours_minutes": 1,
                                          "adverse_events": 0, "census": 1},
                                         {"team": "a ", "after_hours_minutes": 1,
                                          "adverse_events": 0, "census": 1}]},  # same team twice
        {"week": "2026-03-09", "teams": [], "extra": "SECRET"},
    ],
)  # fmt: skip
def test_malformed_signals_are_refused_without_quoting(raw: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_signals(raw)
    assert "SECRET" not in refused.value.detail


def test_a_good_week_parses() -> None:
    week, rows = parse_signals({"week": "2026-03-09", "teams": [
        {"team": " ICU-4 ", "after_hours_minutes": 96.5, "adverse_events": 2, "census": 18.4}
    ]})  # fmt: skip
    assert week == MONDAY and rows == [{"team": "icu-4", "after_hours_minutes": 96.5,
                                        "adverse_events": 2.0, "census": 18.4}]  # fmt: skip
