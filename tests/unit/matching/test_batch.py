"""Batch assignment against the exact reference and the greedy baseline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from matching import (
    InvalidRequest,
    SupporterPool,
    SyntheticWorld,
    UnmatchedReason,
    assign_batch,
    assign_exact,
    assign_greedy,
    synthetic_requests,
    synthetic_world,
)


def test_full_graph_batch_equals_the_exact_optimum(now: datetime) -> None:
    world = synthetic_world(3, supporters=60, institutions_per_network=4, now=now)
    pool = SupporterPool(world.supporters)
    requests = synthetic_requests(world, 90, seed=4)  # more requests than capacity
    exact = assign_exact(pool, requests, now=now)
    flow = assign_batch(pool, requests, now=now, candidates_per_request=len(pool))
    assert flow.matched == exact.matched
    assert flow.objective == pytest.approx(exact.objective, abs=1e-6)
    assert exact.unmatched  # the window really was contended


def test_pruned_batch_is_near_optimal_and_beats_greedy(
    small_world: SyntheticWorld, small_pool: SupporterPool, now: datetime
) -> None:
    requests = synthetic_requests(small_world, 300, seed=6)
    exact = assign_exact(small_pool, requests, now=now)
    flow = assign_batch(small_pool, requests, now=now)
    greedy = assign_greedy(small_pool, requests, now=now)
    assert flow.matched >= greedy.matched
    assert flow.objective >= 0.99 * exact.objective
    assert flow.matched >= exact.matched - 3


def test_capacities_and_reasons(
    make_supporter: Callable[..., Any], make_request: Callable[..., Any], now: datetime
) -> None:
    pool = SupporterPool([make_supporter(concurrent_cap=2, current_load=1, weekly_cap=9)])
    requests = [
        make_request(request_id="r1"),
        make_request(request_id="r2"),
        make_request(request_id="r3", languages=frozenset({"de"})),
    ]
    for solver in (assign_batch, assign_exact, assign_greedy):
        result = solver(pool, requests, now=now)
        assert result.matched == 1
        reasons = {u.request_id: u.reason for u in result.unmatched}
        assert reasons["r3"] is UnmatchedReason.NO_FEASIBLE_SUPPORTER
        assert UnmatchedReason.CAPACITY_TAKEN in reasons.values()


def test_load_spreads_within_a_window(
    make_supporter: Callable[..., Any], make_request: Callable[..., Any], now: datetime
) -> None:
    # The senior supporter is slightly better for both, but a second assignment costs more.
    pool = SupporterPool([
        make_supporter(supporter_id="a", concurrent_cap=2, years_experience=12.0),
        make_supporter(supporter_id="b", concurrent_cap=2, years_experience=9.5),
    ])
    requests = [make_request(request_id="r1"), make_request(request_id="r2")]
    result = assign_batch(pool, requests, now=now)
    assert Counter(a.supporter_id for a in result.assignments) == {"a": 1, "b": 1}


def test_windows_are_validated(
    make_supporter: Callable[..., Any], make_request: Callable[..., Any], now: datetime
) -> None:
    pool = SupporterPool([make_supporter()])
    with pytest.raises(InvalidRequest, match="unique"):
        assign_batch(pool, [make_request(), make_request()], now=now)
    with pytest.raises(InvalidRequest):
        assign_batch(pool, [make_request()], now=now, candidates_per_request=0)
    empty = assign_batch(pool, [], now=now)
    assert empty.matched == 0 and empty.objective == 0.0
