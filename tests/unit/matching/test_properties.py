"""Hypothesis invariants over random small pools and requests."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import (
    DEFAULT_POLICY,
    BatchResult,
    CareerStage,
    DailyWindow,
    Policy,
    Supporter,
    SupporterPool,
    SupportRequest,
    Topic,
    Urgency,
    assign_batch,
    assign_exact,
    assign_greedy,
    rank,
    synthetic_requests,
    synthetic_world,
    violations,
    weekly_count,
)

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
BASE = datetime(2026, 11, 26, tzinfo=UTC)
INSTITUTIONS = {"i0": "n0", "i1": "n0", "i2": "n1", "i3": "n1"}
SPECIALTIES = ["207P00000X", "207R00000X", "207RC0200X", "163WC0200X", "183500000X", "207N00000X"]
LANGUAGES = ["en", "es", "fr"]
OFFSETS = [-480, -300, 0, 330]
WINDOWS = [(), (DailyWindow.hours(9, 17),), (DailyWindow.hours(21, 3),)]
PEOPLE = ["c0", "c1", "c2", "s0", "s1"]

languages = st.frozensets(st.sampled_from(LANGUAGES), min_size=1, max_size=2)
topics = st.frozensets(st.sampled_from(list(Topic)), max_size=3)
years = st.integers(0, 400).map(lambda tenths: tenths / 10)


@st.composite
def supporters(draw: st.DrawFn, index: int, now: datetime) -> Supporter:
    institution = draw(st.sampled_from(sorted(INSTITUTIONS)))
    cap = draw(st.integers(0, 3))
    minutes_ago = draw(st.lists(st.integers(1, 10 * 24 * 60), max_size=5))
    return Supporter(
        supporter_id=f"s{index}",
        institution_id=institution,
        network_id=INSTITUTIONS[institution],
        specialty=draw(st.sampled_from(SPECIALTIES)),
        years_experience=draw(years),
        career_stage=draw(st.sampled_from(list(CareerStage))),
        languages=draw(languages),
        utc_offset_minutes=draw(st.sampled_from(OFFSETS)),
        availability=draw(st.sampled_from(WINDOWS)),
        topic_expertise=draw(topics),
        accepting=draw(st.booleans()),
        concurrent_cap=cap,
        weekly_cap=draw(st.integers(0, 4)),
        current_load=draw(st.integers(0, cap)),
        recent_assignments=tuple(now - timedelta(minutes=m) for m in minutes_ago),
        blocked_requester_ids=draw(st.frozensets(st.sampled_from(PEOPLE), max_size=1)),
    )


@st.composite
def requests(draw: st.DrawFn, index: int) -> SupportRequest:
    institution = draw(st.sampled_from(sorted(INSTITUTIONS)))
    return SupportRequest(
        request_id=f"r{index}",
        requester_id=draw(st.sampled_from(PEOPLE)),
        institution_id=institution,
        network_id=INSTITUTIONS[institution],
        specialty=draw(st.sampled_from(SPECIALTIES)),
        years_experience=draw(years),
        career_stage=draw(st.sampled_from(list(CareerStage))),
        topics=draw(topics),
        languages=draw(languages),
        utc_offset_minutes=draw(st.sampled_from(OFFSETS)),
        availability=draw(st.sampled_from(WINDOWS)),
        urgency=draw(st.sampled_from(list(Urgency))),
        same_specialty_only=draw(st.booleans()),
        blocked_supporter_ids=draw(
            st.frozensets(st.sampled_from([f"s{i}" for i in range(6)]), max_size=2)
        ),
    )


@st.composite
def worlds(
    draw: st.DrawFn, max_supporters: int = 20, max_requests: int = 12
) -> tuple[datetime, list[Supporter], list[SupportRequest], Policy]:
    now = BASE + timedelta(minutes=draw(st.integers(0, 24 * 60 - 1)))
    n = draw(st.integers(1, max_supporters))
    m = draw(st.integers(1, max_requests))
    pool = [draw(supporters(i, now)) for i in range(n)]
    window = [draw(requests(i)) for i in range(m)]
    policy = draw(
        st.sampled_from(
            [DEFAULT_POLICY, Policy(same_network_only=True), Policy(load_weight=0.0),
             Policy(specialty_weight=0.2, topic_weight=4.0)]
        )
    )
    return now, pool, window, policy


def _assert_feasible(
    result: BatchResult, pool: SupporterPool, window: list[SupportRequest], now: datetime,
    policy: Policy,
) -> None:
    by_id = {r.request_id: r for r in window}
    counts = Counter(a.supporter_id for a in result.assignments)
    for a in result.assignments:
        request, supporter = by_id[a.request_id], pool.supporter(a.supporter_id)
        assert violations(request, supporter, now=now, policy=policy, taxonomy=pool.taxonomy) == ()
        assert supporter.institution_id != request.institution_id
        assert supporter.languages & request.languages
    for supporter_id, count in counts.items():
        s = pool.supporter(supporter_id)
        assert s.current_load + count <= s.concurrent_cap
        assert weekly_count(s, now) + count <= s.weekly_cap
    assert len(result.assignments) + len(result.unmatched) == len(window)
    assert len({a.request_id for a in result.assignments}) == len(result.assignments)


@SETTINGS
@given(worlds())
def test_online_candidates_are_feasible_and_explained(
    world: tuple[datetime, list[Supporter], list[SupportRequest], Policy],
) -> None:
    now, supporters_, window, policy = world
    pool = SupporterPool(supporters_)
    for request in window:
        candidates = rank(pool, request, now=now, k=4, policy=policy)
        scores = [c.score for c in candidates]
        assert scores == sorted(scores, reverse=True)
        for c in candidates:
            s = pool.supporter(c.supporter_id)
            assert s.institution_id != request.institution_id
            assert s.languages & request.languages
            assert s.supporter_id != request.requester_id
            assert violations(request, s, now=now, policy=policy, taxonomy=pool.taxonomy) == ()
            parts = c.explanation.parts
            assert abs(sum(p.points for p in parts) - c.score) <= 1e-12
            assert request.requester_id not in c.explanation.summary
            assert s.supporter_id not in c.explanation.summary


@SETTINGS
@given(worlds())
def test_online_stream_never_overloads(
    world: tuple[datetime, list[Supporter], list[SupportRequest], Policy],
) -> None:
    now, supporters_, window, policy = world
    pool = SupporterPool(supporters_)
    given_out: Counter[str] = Counter()
    for request in window:
        best = rank(pool, request, now=now, k=1, policy=policy)
        if best:
            pool.record_assignment(best[0].supporter_id, at=now)
            given_out[best[0].supporter_id] += 1
    for original in supporters_:
        final = pool.supporter(original.supporter_id)
        assert final.current_load == original.current_load + given_out[original.supporter_id]
        if given_out[original.supporter_id]:
            assert final.current_load <= final.concurrent_cap
            assert weekly_count(final, now) <= final.weekly_cap


@SETTINGS
@given(worlds())
def test_batch_respects_constraints_and_beats_greedy(
    world: tuple[datetime, list[Supporter], list[SupportRequest], Policy],
) -> None:
    now, supporters_, window, policy = world
    pool = SupporterPool(supporters_)
    flow = assign_batch(pool, window, now=now, policy=policy, candidates_per_request=3)
    greedy = assign_greedy(pool, window, now=now, policy=policy, candidates_per_request=3)
    exact = assign_exact(pool, window, now=now, policy=policy)
    full = assign_batch(pool, window, now=now, policy=policy, candidates_per_request=len(pool))
    for result in (flow, greedy, exact, full):
        _assert_feasible(result, pool, window, now, policy)
    # never worse than greedy on the same graph: more matches, or as many and no less score
    assert (flow.matched, flow.objective + 1e-9) >= (greedy.matched, greedy.objective)
    assert full.matched == exact.matched
    assert abs(full.objective - exact.objective) <= 1e-6
    assert (exact.matched, exact.objective + 1e-9) >= (flow.matched, flow.objective)


@SETTINGS
@given(worlds(max_supporters=10, max_requests=6))
def test_deterministic_for_the_same_input(
    world: tuple[datetime, list[Supporter], list[SupportRequest], Policy],
) -> None:
    now, supporters_, window, policy = world
    first, second = SupporterPool(supporters_), SupporterPool(list(supporters_))
    for request in window:
        assert rank(first, request, now=now, k=3, policy=policy) == rank(
            second, request, now=now, k=3, policy=policy
        )
    assert assign_batch(first, window, now=now, policy=policy) == assign_batch(
        second, window, now=now, policy=policy
    )


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_synthetic_worlds_are_deterministic_for_a_seed(seed: int) -> None:
    a = synthetic_world(seed, supporters=25, networks=2, institutions_per_network=3, now=BASE)
    b = synthetic_world(seed, supporters=25, networks=2, institutions_per_network=3, now=BASE)
    assert a == b
    assert synthetic_requests(a, 10, seed=seed) == synthetic_requests(b, 10, seed=seed)
    assert all(dataclasses.is_dataclass(s) for s in a.supporters)
