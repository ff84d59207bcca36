"""Online ranking: one request → the ``k`` best feasible supporters, by an exact scan.

The scan filters the whole pool with bit tests, then scores supporters in descending order of
specialty similarity and stops scoring a similarity level once even a perfect score on every
other criterion could not reach the current ``k``-th best: exact, and most requests only score
their own and closely related specialties.

The caller offers the first candidate and, on decline or timeout, the next; reserving capacity
(:meth:`SupporterPool.record_assignment`) is the caller's step, done under its own lock.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from matching.errors import InvalidRequest
from matching.model import DEFAULT_POLICY, Candidate, Policy, SupportRequest
from matching.pool import IntArray, Scan, SupporterPool
from matching.score import explain

__all__ = ["best", "rank", "top_positions"]

_SLACK = 1e-9  # keeps rows whose bound ties the threshold despite rounding


def top_positions(scan: Scan, k: int) -> IntArray:
    """Positions in ``scan`` of its ``k`` best entries: score descending, then pool row
    ascending, so equal scores come out in a stable order whatever the partition does."""
    n = len(scan.indices)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n > k:
        threshold = np.partition(scan.scores, n - k)[n - k]
        chosen = np.flatnonzero(scan.scores >= threshold)
    else:
        chosen = np.arange(n)
    order = np.lexsort((scan.indices[chosen], -scan.scores[chosen]))[:k]
    return chosen[order].astype(np.int64, copy=False)


def best(
    pool: SupporterPool, request: SupportRequest, *, now: datetime, k: int, policy: Policy
) -> Scan:
    """The ``k`` best feasible rows and their scores, best first (exact; see module doc)."""
    rows = pool.feasible_rows(request, now=now, policy=policy)
    if len(rows) <= k:
        scan = Scan(rows, pool.scores(request, rows, policy=policy))
    else:
        similarity = pool.specialty_similarity(request, rows)
        # Best possible points from everything but specialty (the load part is <= 0).
        rest = (
            policy.experience_weight * max(policy.experience_fit)
            + policy.topic_weight
            + policy.timezone_weight
        )
        # The few distinct similarity values of this request's specialty, highest first.
        taxonomy = pool.taxonomy
        levels = np.unique(taxonomy.similarity_matrix[taxonomy.index(request.specialty)])[::-1]
        scored = np.zeros(0, dtype=np.int64)
        scores = np.zeros(0, dtype=np.float64)
        threshold = -np.inf
        for level in levels:
            if policy.specialty_weight * level + rest + _SLACK < threshold:
                break
            at_level = rows[similarity == level]
            if not len(at_level):
                continue
            scored = np.concatenate([scored, at_level])
            scores = np.concatenate([scores, pool.scores(request, at_level, policy=policy)])
            if len(scores) >= k:
                threshold = float(np.partition(scores, len(scores) - k)[len(scores) - k])
        scan = Scan(scored, scores)
    top = top_positions(scan, k)
    return Scan(scan.indices[top], scan.scores[top])


def rank(
    pool: SupporterPool,
    request: SupportRequest,
    *,
    now: datetime,
    k: int = 5,
    policy: Policy = DEFAULT_POLICY,
) -> list[Candidate]:
    """The ``k`` best supporters for ``request`` that break no hard constraint, best first.

    Fewer than ``k`` (possibly none) when fewer are feasible. Ties are broken by pool order.
    Raises :class:`~matching.errors.InvalidRequest` for ``k < 1`` or a naive ``now`` and
    :class:`~matching.errors.UnknownSpecialty` for a specialty outside the pool's taxonomy.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidRequest(f"k must be a positive int, got {k!r}")
    top = best(pool, request, now=now, k=k, policy=policy)
    candidates = []
    for row in top.indices:
        supporter = pool.supporter_at(int(row))
        explanation = explain(request, supporter, taxonomy=pool.taxonomy, policy=policy)
        candidates.append(Candidate(supporter.supporter_id, explanation.score, explanation))
    return candidates
