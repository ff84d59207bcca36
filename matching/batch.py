"""Batch assignment: a window of requests assigned together.

Each request keeps its ``K`` best feasible supporters (the pruned candidate graph); each
supporter becomes as many *slots* as they can still take (both caps), the ``j``-th slot
costing an extra ``load_weight x j / concurrent_cap`` so that load spreads out within the window
as it does across windows. Every request also gets a private "unmatched" column. A minimum-cost
full matching on this graph (LAPJVsp,
:func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`) is then a min-cost flow
with those capacities: it matches as many requests as possible and, among those matchings,
maximises the objective (:class:`~matching.model.BatchResult`). Requests that this leaves
unmatched although they had candidates get all their feasible edges, and the graph is solved
once more.

:func:`assign_exact` solves the same problem on the complete feasible graph with a dense
assignment (:func:`scipy.optimize.linear_sum_assignment`), for reference on small windows;
:func:`assign_greedy` is the baseline (best edge first on the same pruned graph).
None of them changes the pool: the caller records the assignments it makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matching.errors import InvalidRequest
from matching.model import (
    DEFAULT_POLICY,
    Assignment,
    BatchResult,
    Policy,
    SupportRequest,
    Unmatched,
    UnmatchedReason,
)
from matching.online import best
from matching.pool import IntArray, SupporterPool
from matching.score import explain

__all__ = [
    "DEFAULT_CANDIDATES_PER_REQUEST",
    "EXACT_MAX_CELLS",
    "assign_batch",
    "assign_exact",
    "assign_greedy",
    "batch_objective",
]

DEFAULT_CANDIDATES_PER_REQUEST = 24
EXACT_MAX_CELLS = 60_000_000  # cost-matrix cells assign_exact accepts (8 bytes each)


@dataclass(frozen=True, slots=True)
class _Graph:
    """Candidate edges: request position, pool row, score."""

    request: IntArray
    row: IntArray
    score: npt.NDArray[np.float64]


def _check(requests: Sequence[SupportRequest], k: int | None) -> None:
    ids = [r.request_id for r in requests]
    if len(set(ids)) != len(ids):
        raise InvalidRequest("request ids in one window must be unique")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
        raise InvalidRequest(f"candidates_per_request must be a positive int, got {k!r}")


def _graph(
    pool: SupporterPool,
    requests: Sequence[SupportRequest],
    *,
    now: datetime,
    policy: Policy,
    k: int | None,
) -> _Graph:
    req, rows, scores = [], [], []
    for position, request in enumerate(requests):
        if k is None:
            scan = pool.scan(request, now=now, policy=policy)
        else:
            scan = best(pool, request, now=now, k=k, policy=policy)
        req.append(np.full(len(scan.indices), position, dtype=np.int64))
        rows.append(scan.indices)
        scores.append(scan.scores)
    if not requests:
        return _Graph(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))
    return _Graph(np.concatenate(req), np.concatenate(rows), np.concatenate(scores))


def batch_objective(
    pool: SupporterPool, assignments: Sequence[Assignment], *, policy: Policy = DEFAULT_POLICY
) -> float:
    """Sum of assignment scores minus the in-window load discount: a supporter given ``m``
    requests in the window loses ``load_weight x (0 + 1 + … + (m-1)) / concurrent_cap``."""
    total = sum(a.score for a in assignments)
    counts: dict[str, int] = {}
    for a in assignments:
        counts[a.supporter_id] = counts.get(a.supporter_id, 0) + 1
    for supporter_id, m in counts.items():
        cap = pool.supporter(supporter_id).concurrent_cap
        total -= policy.load_weight * (m * (m - 1) / 2) / cap
    return float(total)


def _result(
    pool: SupporterPool,
    requests: Sequence[SupportRequest],
    chosen: dict[int, int],
    graph: _Graph,
    policy: Policy,
) -> BatchResult:
    has_edge = set(graph.request.tolist())
    assignments, unmatched = [], []
    for position, request in enumerate(requests):
        row = chosen.get(position)
        if row is None:
            reason = (
                UnmatchedReason.CAPACITY_TAKEN
                if position in has_edge
                else UnmatchedReason.NO_FEASIBLE_SUPPORTER
            )
            unmatched.append(Unmatched(request.request_id, reason))
            continue
        supporter = pool.supporter_at(row)
        explanation = explain(request, supporter, taxonomy=pool.taxonomy, policy=policy)
        assignments.append(
            Assignment(request.request_id, supporter.supporter_id, explanation.score, explanation)
        )
    return BatchResult(
        tuple(assignments), tuple(unmatched), batch_objective(pool, assignments, policy=policy)
    )


def _slots(
    pool: SupporterPool, graph: _Graph, n_requests: int, now: datetime
) -> tuple[IntArray, IntArray, IntArray]:
    """Supporter rows in the graph, their slot counts and first slot column."""
    rows, degree = np.unique(graph.row, return_counts=True)
    slots = np.minimum(pool.remaining_capacity(rows, now=now), degree)
    slots = np.minimum(slots, n_requests)
    first = np.concatenate([[0], np.cumsum(slots)[:-1]]).astype(np.int64)
    return rows, slots.astype(np.int64), first


def _big(policy: Policy, n_requests: int) -> float:
    # Larger than any change of total score a matching can undergo, so the solver first
    # maximises how many requests are matched and only then the score.
    span = (
        policy.specialty_weight
        + policy.experience_weight
        + policy.topic_weight
        + policy.timezone_weight
        + 2 * policy.load_weight
        + 1.0
    )
    return span * (n_requests + 2)


def _expanded_edges(
    pool: SupporterPool, graph: _Graph, rows: IntArray, slots: IntArray, first: IntArray,
    policy: Policy,
) -> tuple[IntArray, IntArray, npt.NDArray[np.float64]]:
    """Every (request, slot column, value) of the capacity-expanded graph."""
    where = np.searchsorted(rows, graph.row)
    count = slots[where]
    keep = count > 0
    req = np.repeat(graph.request[keep], count[keep])
    edge_first = np.repeat(first[where][keep], count[keep])
    # j = 0..count-1 within each edge's run
    offsets = np.arange(len(req)) - np.repeat(np.cumsum(count[keep]) - count[keep], count[keep])
    caps = pool.cap[np.repeat(graph.row[keep], count[keep])].astype(np.float64)
    value = np.repeat(graph.score[keep], count[keep]) - policy.load_weight * offsets / caps
    return req, edge_first + offsets, value


def assign_batch(
    pool: SupporterPool,
    requests: Sequence[SupportRequest],
    *,
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
    candidates_per_request: int = DEFAULT_CANDIDATES_PER_REQUEST,
) -> BatchResult:
    """Assign a window of requests by min-cost flow on the top-``candidates_per_request`` graph.

    Requests that the pruned graph leaves unmatched get all their feasible edges for a second
    solve. Capacities (both caps, counting what the window itself assigns) are respected;
    requests left over are reported in :attr:`BatchResult.unmatched` with a reason. Raises
    :class:`~matching.errors.InvalidRequest` for duplicate request ids or a bad argument.
    """
    _check(requests, candidates_per_request)
    graph = _graph(pool, requests, now=now, policy=policy, k=candidates_per_request)
    n = len(requests)
    if n == 0 or len(graph.row) == 0:
        return _result(pool, requests, {}, graph, policy)
    chosen = _flow(pool, graph, n, now, policy)
    stuck = sorted(set(graph.request.tolist()) - chosen.keys())
    if stuck:
        # Their K best were all taken: give them every feasible edge and solve once more.
        wider = _graph(pool, [requests[p] for p in stuck], now=now, policy=policy, k=None)
        keep = ~np.isin(graph.request, stuck)
        graph = _Graph(
            np.concatenate([graph.request[keep], np.asarray(stuck, np.int64)[wider.request]]),
            np.concatenate([graph.row[keep], wider.row]),
            np.concatenate([graph.score[keep], wider.score]),
        )
        chosen = _flow(pool, graph, n, now, policy)
    return _result(pool, requests, chosen, graph, policy)


def _flow(
    pool: SupporterPool, graph: _Graph, n: int, now: datetime, policy: Policy
) -> dict[int, int]:
    """Min-cost full matching of requests to slots and private unmatched columns."""
    rows, slots, first = _slots(pool, graph, n, now)
    req, col, value = _expanded_edges(pool, graph, rows, slots, first, policy)
    n_slots = int(slots.sum())
    big = _big(policy, n)
    dummy = np.arange(n, dtype=np.int64)
    matrix = csr_array(
        (
            np.concatenate([big - value, np.full(n, 2 * big)]),
            (np.concatenate([req, dummy]), np.concatenate([col, n_slots + dummy])),
        ),
        shape=(n, n_slots + n),
    )
    row_ind, col_ind = min_weight_full_bipartite_matching(matrix)
    owner = np.repeat(rows, slots)  # slot column -> pool row
    return {int(r): int(owner[c]) for r, c in zip(row_ind, col_ind, strict=True) if c < n_slots}


def assign_exact(
    pool: SupporterPool,
    requests: Sequence[SupportRequest],
    *,
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
) -> BatchResult:
    """The exact optimum of the same problem over *all* feasible pairs (dense; reference only).

    Raises :class:`~matching.errors.InvalidRequest` when the cost matrix would exceed
    :data:`EXACT_MAX_CELLS` cells.
    """
    _check(requests, None)
    graph = _graph(pool, requests, now=now, policy=policy, k=None)
    n = len(requests)
    if n == 0 or len(graph.row) == 0:
        return _result(pool, requests, {}, graph, policy)
    rows, slots, first = _slots(pool, graph, n, now)
    n_slots = int(slots.sum())
    if n * (n_slots + n) > EXACT_MAX_CELLS:
        raise InvalidRequest(f"window too large for the exact solver ({n} x {n_slots + n})")
    req, col, value = _expanded_edges(pool, graph, rows, slots, first, policy)
    big = _big(policy, n)
    cost = np.full((n, n_slots + n), 3 * big)
    cost[:, n_slots:] = 2 * big
    cost[req, col] = big - value
    row_ind, col_ind = linear_sum_assignment(cost)
    owner = np.repeat(rows, slots)
    chosen = {
        int(r): int(owner[c]) for r, c in zip(row_ind, col_ind, strict=True) if c < n_slots
    }
    return _result(pool, requests, chosen, graph, policy)


def assign_greedy(
    pool: SupporterPool,
    requests: Sequence[SupportRequest],
    *,
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
    candidates_per_request: int = DEFAULT_CANDIDATES_PER_REQUEST,
) -> BatchResult:
    """Baseline: take candidate edges best score first while request and supporter are free."""
    _check(requests, candidates_per_request)
    graph = _graph(pool, requests, now=now, policy=policy, k=candidates_per_request)
    n = len(requests)
    if n == 0 or len(graph.row) == 0:
        return _result(pool, requests, {}, graph, policy)
    rows, slots, _ = _slots(pool, graph, n, now)
    left = dict(zip(rows.tolist(), slots.tolist(), strict=True))
    order = np.lexsort((graph.row, graph.request, -graph.score))
    chosen: dict[int, int] = {}
    for e in order.tolist():
        r, row = int(graph.request[e]), int(graph.row[e])
        if r not in chosen and left[row] > 0:
            chosen[r] = row
            left[row] -= 1
    return _result(pool, requests, chosen, graph, policy)
