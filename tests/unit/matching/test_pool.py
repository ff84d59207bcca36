"""The array pool agrees with the one-pair reference, and updates are cheap and correct."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest

from matching import (
    DEFAULT_POLICY,
    InvalidSupporter,
    Policy,
    SupporterPool,
    SyntheticWorld,
    UnknownSpecialty,
    UnknownSupporter,
    explain,
    is_feasible,
    rank,
    synthetic_requests,
)


@pytest.mark.parametrize("policy", [DEFAULT_POLICY, Policy(same_network_only=True)])
def test_vector_filters_and_scores_match_the_reference(
    small_world: SyntheticWorld, small_pool: SupporterPool, now: datetime, policy: Policy
) -> None:
    taxonomy = small_pool.taxonomy
    for request in synthetic_requests(small_world, 40, seed=5):
        scan = small_pool.scan(request, now=now, policy=policy)
        expected = [
            row
            for row, s in enumerate(small_pool.supporters())
            if is_feasible(request, s, now=now, policy=policy, taxonomy=taxonomy)
        ]
        assert scan.indices.tolist() == expected
        for row, score in zip(scan.indices.tolist(), scan.scores.tolist(), strict=True):
            supporter = small_pool.supporter_at(row)
            # bit for bit: the online ranking and the explanation never disagree
            assert score == explain(request, supporter, taxonomy=taxonomy, policy=policy).score


def test_record_release_and_pause(
    make_supporter: Callable[..., Any], make_request: Callable[..., Any], now: datetime
) -> None:
    pool = SupporterPool([make_supporter(concurrent_cap=1, weekly_cap=5)])
    request = make_request()
    assert len(pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY)) == 1
    updated = pool.record_assignment("s1", at=now)
    assert updated.current_load == 1 and updated.recent_assignments == (now,)
    assert len(pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY)) == 0
    pool.release("s1")
    assert len(pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY)) == 1
    pool.set_accepting("s1", False)
    assert len(pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY)) == 0
    with pytest.raises(InvalidSupporter):
        pool.release("s1")
    with pytest.raises(UnknownSupporter):
        pool.record_assignment("nobody", at=now)


def test_weekly_cap_frees_up_as_time_passes(
    make_supporter: Callable[..., Any], make_request: Callable[..., Any], now: datetime
) -> None:
    pool = SupporterPool([make_supporter(weekly_cap=1)])
    pool.record_assignment("s1", at=now - timedelta(days=6))
    pool.release("s1")
    request = make_request()
    assert len(pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY)) == 0
    later = now + timedelta(days=1)
    assert len(pool.feasible_rows(request, now=later, policy=DEFAULT_POLICY)) == 1


def test_put_adds_and_replaces(
    make_supporter: Callable[..., Any], make_request: Callable[..., Any], now: datetime
) -> None:
    pool = SupporterPool([make_supporter()])
    pool.put(make_supporter(supporter_id="s2", languages=frozenset({"ar"})))
    assert len(pool) == 2
    request = make_request(languages=frozenset({"ar"}))
    assert pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY).tolist() == [1]
    pool.put(
        make_supporter(supporter_id="s2", institution_id="inst-a", languages=frozenset({"ar"}))
    )
    assert pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY).tolist() == []
    assert pool.supporter("s2").institution_id == "inst-a"


def test_many_languages_spill_into_more_words(
    make_supporter: Callable[..., Any], make_request: Callable[..., Any], now: datetime
) -> None:
    codes = [a + b for a in "abcdefghij" for b in "klmnopq"]  # 70 codes > 64 bits
    pool = SupporterPool(
        make_supporter(supporter_id=f"s{i}", languages=frozenset({c})) for i, c in enumerate(codes)
    )
    assert pool.language_bits.shape[0] == 2
    for i, code in enumerate(codes):
        request = make_request(languages=frozenset({code}))
        assert pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY).tolist() == [i]


def test_bad_records(make_supporter: Callable[..., Any]) -> None:
    with pytest.raises(InvalidSupporter, match="duplicate"):
        SupporterPool([make_supporter(), make_supporter()])
    with pytest.raises(UnknownSpecialty):
        SupporterPool([make_supporter(specialty="000000000X")])


def test_empty_pool(make_request: Callable[..., Any], now: datetime) -> None:
    pool = SupporterPool([])
    rows = pool.feasible_rows(make_request(), now=now, policy=DEFAULT_POLICY)
    assert rows.dtype == np.int64 and len(rows) == 0


def _ranked(pool: SupporterPool, world: SyntheticWorld, now: datetime) -> list[Any]:
    """Every request's feasible supporters by id with their scores (independent of rows), and
    its best score."""
    out: list[Any] = []
    for request in synthetic_requests(world, 60, seed=9):
        scan = pool.scan(request, now=now, policy=DEFAULT_POLICY)
        ids = [pool.supporter_at(int(row)).supporter_id for row in scan.indices]
        out.append(dict(zip(ids, scan.scores.tolist(), strict=True)))
        out.append([c.score for c in rank(pool, request, now=now, k=5)])
    return out


def test_an_updated_pool_ranks_like_one_built_from_scratch(
    small_world: SyntheticWorld, now: datetime
) -> None:
    records = list(small_world.supporters)
    pool = SupporterPool(records[:50])
    for s in records[50:]:  # grows past its first capacity several times
        pool.put(s)
    gone = records[::3]
    for s in gone:
        assert pool.remove(s.supporter_id) == s
    kept = [s for s in records if s not in gone]
    fresh = SupporterPool(kept)
    assert len(pool) == len(kept) and all(s.supporter_id in pool for s in kept)
    assert all(s.supporter_id not in pool for s in gone)
    assert sorted(pool.supporters(), key=lambda s: s.supporter_id) == sorted(
        kept, key=lambda s: s.supporter_id
    )
    assert _ranked(pool, small_world, now) == _ranked(fresh, small_world, now)
    for name in ("institution", "specialty", "topic_bits", "hour_bits", "open", "weekly_gate"):
        assert len(getattr(pool, name)) == len(kept)
    assert pool.language_bits.shape[1] == len(kept)


def test_remove_moves_the_last_row_and_its_blocks(
    make_supporter: Callable[..., Any], make_request: Callable[..., Any], now: datetime
) -> None:
    pool = SupporterPool([
        make_supporter(supporter_id="s1", blocked_requester_ids=frozenset({"c1"})),
        make_supporter(supporter_id="s2"),
        make_supporter(supporter_id="s3", blocked_requester_ids=frozenset({"c1"})),
    ])  # fmt: skip
    request = make_request(requester_id="c1")
    assert pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY).tolist() == [1]
    pool.remove("s1")  # s3 moves into row 0 and stays blocked for c1
    assert pool.row("s3") == 0 and pool.row("s2") == 1
    assert pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY).tolist() == [1]
    pool.remove("s2")  # the last row: nothing moves
    assert pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY).tolist() == []
    assert pool.feasible_rows(make_request(requester_id="c2"), now=now,
                              policy=DEFAULT_POLICY).tolist() == [0]  # fmt: skip
    with pytest.raises(UnknownSupporter):
        pool.remove("s2")
    pool.remove("s3")
    assert len(pool) == 0
    assert len(pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY)) == 0
    pool.put(make_supporter(supporter_id="s2"))  # an emptied pool takes new rows again
    assert pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY).tolist() == [0]


def test_replacing_a_record_drops_its_old_blocks(
    make_supporter: Callable[..., Any], make_request: Callable[..., Any], now: datetime
) -> None:
    pool = SupporterPool([make_supporter(blocked_requester_ids=frozenset({"c1"}))])
    request = make_request(requester_id="c1")
    assert len(pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY)) == 0
    pool.put(make_supporter())
    assert pool.feasible_rows(request, now=now, policy=DEFAULT_POLICY).tolist() == [0]
