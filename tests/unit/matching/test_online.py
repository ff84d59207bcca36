"""Online ranking is the exact top-k of the reference scoring."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from matching import (
    DEFAULT_POLICY,
    InvalidRequest,
    Policy,
    SupporterPool,
    SyntheticWorld,
    UnknownSpecialty,
    explain,
    is_feasible,
    rank,
    synthetic_requests,
)


@pytest.mark.parametrize("k", [1, 5, 40])
@pytest.mark.parametrize("policy", [DEFAULT_POLICY, Policy(specialty_weight=0.5)])
def test_rank_is_the_exact_top_k(
    small_world: SyntheticWorld, small_pool: SupporterPool, now: datetime, k: int,
    policy: Policy,
) -> None:
    taxonomy = small_pool.taxonomy
    for request in synthetic_requests(small_world, 25, seed=9):
        brute = sorted(
            (
                (-explain(request, s, taxonomy=taxonomy, policy=policy).score, row)
                for row, s in enumerate(small_pool.supporters())
                if is_feasible(request, s, now=now, policy=policy, taxonomy=taxonomy)
            )
        )[:k]
        got = rank(small_pool, request, now=now, k=k, policy=policy)
        assert [c.supporter_id for c in got] == [
            small_pool.supporter_at(row).supporter_id for _, row in brute
        ]
        assert all(c.score == c.explanation.score for c in got)


def test_no_feasible_supporter_gives_an_empty_list(
    make_supporter: Callable[..., Any], make_request: Callable[..., Any], now: datetime
) -> None:
    pool = SupporterPool([make_supporter(institution_id="inst-a")])
    assert rank(pool, make_request(), now=now) == []


def test_bad_arguments(
    make_supporter: Callable[..., Any], make_request: Callable[..., Any], now: datetime
) -> None:
    pool = SupporterPool([make_supporter()])
    with pytest.raises(InvalidRequest):
        rank(pool, make_request(), now=now, k=0)
    with pytest.raises(InvalidRequest):
        rank(pool, make_request(), now=now.replace(tzinfo=None))
    with pytest.raises(UnknownSpecialty):
        rank(pool, make_request(specialty="000000000X"), now=now)
