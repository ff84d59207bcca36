"""Scores and their explanations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from matching import (
    DEFAULT_POLICY,
    CareerStage,
    Criterion,
    DailyWindow,
    Policy,
    Taxonomy,
    Topic,
    explain,
)


def _explain(request: Any, supporter: Any, taxonomy: Taxonomy,
             policy: Policy = DEFAULT_POLICY) -> Any:
    return explain(request, supporter, taxonomy=taxonomy, policy=policy)


def test_parts_add_up_and_read_well(
    make_request: Callable[..., Any], make_supporter: Callable[..., Any], taxonomy: Taxonomy
) -> None:
    request = make_request(years_experience=8.0)
    supporter = make_supporter(years_experience=11.0, current_load=1, concurrent_cap=2)
    explanation = _explain(request, supporter, taxonomy)
    assert [p.criterion for p in explanation.parts] == list(Criterion)
    assert explanation.score == sum(p.points for p in explanation.parts)
    assert explanation.part(Criterion.LOAD).points == -0.5
    assert explanation.summary == (
        "same specialty, a few years more experience, has helped peers with adverse event, "
        "good overlap in waking hours"
    )


def test_summary_never_names_anyone(
    make_request: Callable[..., Any], make_supporter: Callable[..., Any], taxonomy: Taxonomy
) -> None:
    request = make_request(requester_id="Dr Alice Example", institution_id="St Elsewhere")
    supporter = make_supporter(supporter_id="Dr Bob Example", institution_id="General Hospital")
    summary = _explain(request, supporter, taxonomy).summary
    for secret in ("Alice", "Bob", "Elsewhere", "General", "net-1", "207P00000X"):
        assert secret not in summary


@pytest.mark.parametrize(
    ("gap", "phrase"),
    [(0.5, "similar experience"), (4, "a few years more experience"),
     (10, "several years more experience"), (25, "many years more experience"),
     (-3, "a few years less experience"), (-8, "less experience")],
)
def test_experience_phrases(
    make_request: Callable[..., Any], make_supporter: Callable[..., Any], taxonomy: Taxonomy,
    gap: float, phrase: str,
) -> None:
    request = make_request(years_experience=10.0)
    supporter = make_supporter(years_experience=10.0 + gap)
    assert _explain(request, supporter, taxonomy).part(Criterion.EXPERIENCE).phrase == phrase


def test_trainees_see_a_peer_in_the_same_stage(
    make_request: Callable[..., Any], make_supporter: Callable[..., Any], taxonomy: Taxonomy
) -> None:
    request = make_request(career_stage=CareerStage.RESIDENT, years_experience=2.0)
    supporter = make_supporter(career_stage=CareerStage.RESIDENT, years_experience=4.0)
    assert "also a resident" in _explain(request, supporter, taxonomy).summary


def test_somewhat_more_senior_beats_much_junior_and_much_senior(
    make_request: Callable[..., Any], make_supporter: Callable[..., Any], taxonomy: Taxonomy
) -> None:
    request = make_request(years_experience=8.0)

    def score(years: float) -> float:
        return float(_explain(request, make_supporter(years_experience=years), taxonomy).score)

    assert score(12.0) > score(8.0) > score(2.0)
    assert score(12.0) > score(40.0)


def test_topic_expertise_and_load_move_the_score(
    make_request: Callable[..., Any], make_supporter: Callable[..., Any], taxonomy: Taxonomy
) -> None:
    request = make_request(topics=frozenset({Topic.LITIGATION, Topic.BURNOUT}))
    half = _explain(request, make_supporter(topic_expertise=frozenset({Topic.BURNOUT})),
                    taxonomy)
    assert half.part(Criterion.TOPICS).value == 0.5
    busy = _explain(request, make_supporter(current_load=1), taxonomy)
    idle = _explain(request, make_supporter(current_load=0), taxonomy)
    assert idle.score - busy.score == pytest.approx(DEFAULT_POLICY.load_weight / 2)


def test_time_zone_overlap(
    make_request: Callable[..., Any], make_supporter: Callable[..., Any], taxonomy: Taxonomy
) -> None:
    request = make_request(utc_offset_minutes=-300)
    # 08:00-22:00 in New York is 13:00-03:00 UTC; 09:00-17:00 in Paris is 08:00-16:00 UTC.
    paris = make_supporter(utc_offset_minutes=60, availability=(DailyWindow.hours(9, 17),))
    near = _explain(request, make_supporter(utc_offset_minutes=-360), taxonomy)
    assert near.part(Criterion.TIMEZONE).value == 1.0
    assert _explain(request, paris, taxonomy).part(Criterion.TIMEZONE).value == 0.75
