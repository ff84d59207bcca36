"""Matching engine: online latency, batch quality against the exact optimum, fairness.

Run: ``.venv/bin/python -m bench.matching`` (about 3 minutes; ``--quick`` for a smaller run).
Prints Markdown tables. Baselines measured in the same run: for online ranking, a full scan that
scores every feasible supporter; for batch assignment, the exact optimum and a greedy pass.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from matching import (
    DEFAULT_POLICY,
    BatchResult,
    Criterion,
    Policy,
    SupporterPool,
    SupportRequest,
    assign_batch,
    assign_exact,
    assign_greedy,
    explain,
    rank,
    synthetic_requests,
    synthetic_world,
)
from matching.online import top_positions

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def _percentile(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.array(samples), q))


def _world(n: int, seed: int) -> tuple[SupporterPool, float]:
    world = synthetic_world(seed, supporters=n, networks=6, institutions_per_network=20, now=NOW)
    start = time.perf_counter()
    pool = SupporterPool(world.supporters)
    return pool, time.perf_counter() - start


def online(sizes: Sequence[int], n_requests: int, seed: int) -> None:
    print("### Online ranking (k = 5)\n")
    print(
        "| supporters | pool build | p50 | p99 | max | full-scan p50 | full-scan p99 |"
        " feasible (median) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        world = synthetic_world(
            seed, supporters=n, networks=6, institutions_per_network=20, now=NOW
        )
        start = time.perf_counter()
        pool = SupporterPool(world.supporters)
        build = time.perf_counter() - start
        requests = synthetic_requests(world, n_requests, seed=seed + 1)
        for r in requests[:50]:  # warm caches
            rank(pool, r, now=NOW, k=5)
        fast, full, feasible = [], [], []
        for r in requests:
            t0 = time.perf_counter()
            rank(pool, r, now=NOW, k=5)
            t1 = time.perf_counter()
            scan = pool.scan(r, now=NOW, policy=DEFAULT_POLICY)
            top_positions(scan, 5)
            t2 = time.perf_counter()
            fast.append((t1 - t0) * 1e3)
            full.append((t2 - t1) * 1e3)
            feasible.append(len(scan.indices))
        print(
            f"| {n:,} | {build:.2f} s | {_percentile(fast, 50):.2f} ms"
            f" | {_percentile(fast, 99):.2f} ms | {max(fast):.2f} ms"
            f" | {_percentile(full, 50):.2f} ms | {_percentile(full, 99):.2f} ms"
            f" | {statistics.median(feasible):,.0f} |"
        )
    print()


def _timed(
    solver: Callable[..., BatchResult], pool: SupporterPool, requests: Sequence[SupportRequest]
) -> tuple[BatchResult, float]:
    start = time.perf_counter()
    result = solver(pool, requests, now=NOW)
    return result, time.perf_counter() - start


def batch(sizes: Sequence[int], seed: int, exact_limit: int) -> None:
    print("### Batch assignment (n requests x n supporters, K = 24 candidates per request)\n")
    print(
        "| n | batch time | greedy time | exact time | batch / optimum | greedy / optimum |"
        " matched batch / greedy / exact |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        world = synthetic_world(
            seed + n, supporters=n, networks=6, institutions_per_network=20, now=NOW
        )
        pool = SupporterPool(world.supporters)
        requests = synthetic_requests(world, n, seed=seed + n + 1)
        flow, t_flow = _timed(assign_batch, pool, requests)
        greedy, t_greedy = _timed(assign_greedy, pool, requests)
        if n <= exact_limit:
            exact, t_exact = _timed(assign_exact, pool, requests)
            ratio = f"{flow.objective / exact.objective:.4f}"
            gratio = f"{greedy.objective / exact.objective:.4f}"
            exact_cell, matched_exact = f"{t_exact:.2f} s", str(exact.matched)
        else:
            ratio = gratio = exact_cell = matched_exact = "n/a"
        print(
            f"| {n:,} | {t_flow:.2f} s | {t_greedy:.2f} s | {exact_cell} | {ratio} | {gratio}"
            f" | {flow.matched} / {greedy.matched} / {matched_exact} |"
        )
    print()


def _gini(values: npt.NDArray[np.int64]) -> float:
    x = np.sort(values.astype(np.float64))
    if x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) @ x) / (n * x.sum()) - (n + 1) / n)


def _fit(pool: SupporterPool, pairs: Sequence[tuple[SupportRequest, str]]) -> float:
    # Mean fit of the pairs: every criterion but load, at the default weights (max 7.5).
    total = 0.0
    for request, supporter_id in pairs:
        parts = explain(
            request, pool.supporter(supporter_id), taxonomy=pool.taxonomy, policy=DEFAULT_POLICY
        ).parts
        total += sum(p.points for p in parts if p.criterion is not Criterion.LOAD)
    return total / max(1, len(pairs))


def _fairness_row(
    label: str,
    pool: SupporterPool,
    pairs: Sequence[tuple[SupportRequest, str]],
    n_requests: int,
) -> None:
    assigned = Counter(supporter_id for _, supporter_id in pairs)
    accepting = [s for s in pool.supporters() if s.accepting]
    window = np.array([assigned[s.supporter_id] for s in accepting])
    load = np.array([s.current_load + assigned[s.supporter_id] for s in accepting])
    print(
        f"| {label} | {len(pairs)} / {n_requests} | {_fit(pool, pairs):.3f}"
        f" | {_gini(window):.3f} | {_gini(load):.3f} | {int(window.max())} | {int(load.max())}"
        f" | {np.mean(window > 0):.1%} |"
    )


def _stream(
    pool: SupporterPool, requests: Sequence[SupportRequest], policy: Policy
) -> list[tuple[SupportRequest, str]]:
    # Requests arrive one by one; each takes its best candidate, who is then reserved.
    pairs = []
    for r in requests:
        best = rank(pool, r, now=NOW, k=1, policy=policy)
        if best:
            pool.record_assignment(best[0].supporter_id, at=NOW)
            pairs.append((r, best[0].supporter_id))
    return pairs


def fairness(n: int, n_requests: int, seed: int) -> None:
    print(f"### Fairness ({n_requests:,} requests on {n:,} supporters)\n")
    print(
        "Mean fit: specialty + experience + topics + time zone points of the pairs at the"
        " default weights (out of 7.5). Gini and maximum over accepting supporters: *window*"
        " counts the assignments made here, *load* adds them to the conversations already"
        " running.\n"
    )
    print(
        "| policy | matched | mean fit | Gini (window) | Gini (load) | max window | max load |"
        " supporters used |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    world = synthetic_world(seed, supporters=n, networks=6, institutions_per_network=20, now=NOW)
    requests = synthetic_requests(world, n_requests, seed=seed + 1)
    no_discount = Policy(load_weight=0.0)
    for label, policy in (
        ("batch, load discount", DEFAULT_POLICY),
        ("batch, no load discount", no_discount),
    ):
        pool = SupporterPool(world.supporters)
        result = assign_batch(pool, requests, now=NOW, policy=policy)
        by_id = {r.request_id: r for r in requests}
        pairs = [(by_id[a.request_id], a.supporter_id) for a in result.assignments]
        _fairness_row(label, pool, pairs, n_requests)
    for label, policy in (
        ("online stream, load discount", DEFAULT_POLICY),
        ("online stream, no load discount", no_discount),
    ):
        pool = SupporterPool(world.supporters)
        before = SupporterPool(world.supporters)
        _fairness_row(label, before, _stream(pool, requests, policy), n_requests)
    print()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.quick:
        online([1_000, 10_000], 300, args.seed)
        batch([300, 1_000], args.seed, exact_limit=1_000)
        fairness(1_000, 1_000, args.seed)
    else:
        online([10_000, 100_000], 2_000, args.seed)
        batch([1_000, 2_000, 5_000], args.seed, exact_limit=5_000)
        fairness(2_000, 2_000, args.seed)
    print(f"_Total benchmark time: {time.perf_counter() - start:.0f} s._")


if __name__ == "__main__":
    main()
