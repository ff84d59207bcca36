"""Matching through the product: `POST /api/v1/support-requests` until the offer, against the
matching library alone on the same supporters, in the same run.

Run: ``.venv/bin/python -m bench.match_path`` (about 2 minutes; ``--quick`` for a smaller run).

For each size, a fresh database gets one network of 20 institutions with that many supporters
(a synthetic pool, seeded with Core bulk inserts) and a few hundred clinicians with tokens. A
Peerhaven server (`peerhaven serve`, production settings, its own process) then answers one
request at a time from each clinician: the route ranks, reserves and offers before it answers,
so the client's time is the whole product path. Each request is cancelled afterwards (not
timed) so that loads stay as seeded. The baseline is `matching.rank` on a `SupporterPool` of
the same supporters and the same requests, in this process. The first request of a server is
reported apart (the pool is built then: the server started, and warmed, on an empty database).
`GET /api/v1/me` with the same tokens is the floor of any authenticated route on this server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
import sqlalchemy as sa

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.servers import run_peerhaven
from matching import SupporterPool, rank
from matching.model import Policy, Supporter, SupportRequest
from matching.synthetic import synthetic_requests, synthetic_world
from server.accounts import auth
from server.accounts.roles import Role
from server.db.engine import Database
from server.db.models import Account, Institution, Network, Profile, SupporterProfile

__all__ = ["main"]

# Fixed-offset-ish zones for the synthetic offsets (the offsets in December, which is enough here).
_ZONES = {
    -600: "Pacific/Honolulu", -540: "America/Anchorage", -480: "America/Los_Angeles",
    -420: "America/Denver", -360: "America/Chicago", -300: "America/New_York",
    0: "Europe/London", 60: "Europe/Paris", 330: "Asia/Kolkata", 600: "Australia/Brisbane",
}  # fmt: skip
_CHUNK = 5000


@dataclass
class Seeded:
    supporters: list[Supporter]  # as the library sees them, with the database's ids
    requests: list[SupportRequest]  # likewise
    tokens: list[str]  # one per request, in order
    bodies: list[dict[str, object]]


async def _insert(db: Database, table: sa.Table, rows: Sequence[dict[str, object]]) -> None:
    async with db.session() as session:
        for start in range(0, len(rows), _CHUNK):
            connection = await session.connection()
            await connection.execute(sa.insert(table), list(rows[start : start + _CHUNK]))
        await session.commit()


async def _seed(url: str, n: int, n_requests: int, seed: int) -> Seeded:
    now = datetime.now(UTC)
    world = synthetic_world(seed, supporters=n, networks=1, institutions_per_network=20, now=now)
    wanted = [
        r for r in synthetic_requests(world, n_requests * 2, seed=seed + 1)
        if r.requester_id.startswith("clin-")  # clinicians only (no supporter asks here)
    ][:n_requests]  # fmt: skip
    db = Database(url)
    try:
        network_id = uuid.uuid4()
        institutions = {i.institution_id: uuid.uuid4() for i in world.institutions}
        await _insert(db, Network.__table__, [  # type: ignore[arg-type]
            {"id": network_id, "slug": f"bench-{seed}", "name": "Bench", "created_at": now}
        ])  # fmt: skip
        await _insert(db, Institution.__table__, [  # type: ignore[arg-type]
            {"id": db_id, "network_id": network_id, "slug": f"b-{name}", "name": name,
             "created_at": now}
            for name, db_id in institutions.items()
        ])  # fmt: skip
        ids = {s.supporter_id: uuid.uuid4() for s in world.supporters}
        people = [(ids[s.supporter_id], s, Role.SUPPORTER) for s in world.supporters]
        people += [(uuid.uuid4(), r, Role.CLINICIAN) for r in wanted]
        await _insert(db, Account.__table__, [  # type: ignore[arg-type]
            {"id": i, "institution_id": institutions[p.institution_id], "role": role.value,
             "identity_key": os.urandom(32), "created_at": now}
            for i, p, role in people
        ])  # fmt: skip
        await _insert(db, Profile.__table__, [  # type: ignore[arg-type]
            {"account_id": i, "specialty": p.specialty,
             "years_experience": round(p.years_experience),
             "career_stage": p.career_stage.value, "languages": sorted(p.languages),
             "time_zone": _ZONES[p.utc_offset_minutes], "updated_at": now}
            for i, p, _role in people
        ])  # fmt: skip
        await _insert(db, SupporterProfile.__table__, [  # type: ignore[arg-type]
            {"account_id": ids[s.supporter_id],
             "topic_expertise": sorted(t.value for t in s.topic_expertise),
             "concurrent_cap": s.concurrent_cap, "weekly_cap": s.weekly_cap,
             "available": s.accepting, "lock_version": 0,
             "daily_hours": [[w.start, w.end] for w in s.availability], "updated_at": now}
            for s in world.supporters
        ])  # fmt: skip
        tokens = []
        async with db.session() as session:
            for i, _p, role in people[n:]:
                assert role is Role.CLINICIAN
                issued = await auth.issue_token(
                    session, account_id=i, ttl=timedelta(hours=4), now=now
                )
                tokens.append(issued.token)
            await session.commit()
    finally:
        await db.dispose()
    # What the library sees: the same people under the database's ids, loads as seeded (none).
    supporters = [
        Supporter(
            supporter_id=str(ids[s.supporter_id]),
            institution_id=str(institutions[s.institution_id]), network_id=str(network_id),
            specialty=s.specialty,
            years_experience=round(s.years_experience), career_stage=s.career_stage,
            languages=s.languages, utc_offset_minutes=s.utc_offset_minutes,
            availability=s.availability, topic_expertise=s.topic_expertise, accepting=s.accepting,
            concurrent_cap=s.concurrent_cap, weekly_cap=s.weekly_cap,
        )
        for s in world.supporters
    ]  # fmt: skip
    requests = [
        SupportRequest(
            request_id=str(uuid.uuid4()), requester_id=str(i),
            institution_id=str(institutions[r.institution_id]), network_id=str(network_id),
            specialty=r.specialty, years_experience=round(r.years_experience),
            career_stage=r.career_stage, topics=r.topics, languages=r.languages,
            utc_offset_minutes=r.utc_offset_minutes, urgency=r.urgency,
            same_specialty_only=r.same_specialty_only,
        )
        for (i, _p, _role), r in zip(people[n:], wanted, strict=True)
    ]  # fmt: skip
    bodies: list[dict[str, object]] = [
        {"topics": sorted(t.value for t in r.topics), "urgency": r.urgency.value,
         "same_specialty_only": r.same_specialty_only}
        for r in wanted
    ]  # fmt: skip
    return Seeded(supporters, requests, tokens, bodies)


def _library(seeded: Seeded, k: int) -> tuple[float, list[float]]:
    """Pool build time and per-request `rank` times of the library alone."""
    started = time.perf_counter()
    pool = SupporterPool(seeded.supporters)
    build = time.perf_counter() - started
    policy = Policy(same_network_only=True)
    now = datetime.now(UTC)
    times = []
    for request in seeded.requests:
        started = time.perf_counter()
        rank(pool, request, now=now, k=k, policy=policy)
        times.append(time.perf_counter() - started)
    return build, times


def _floor(port: int, seeded: Seeded) -> list[float]:
    """`GET /api/v1/me` for each token: HTTP, authentication and one read, no matching."""
    times = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        for token in seeded.tokens:
            started = time.perf_counter()
            client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
            times.append(time.perf_counter() - started)
    return times


def _product(port: int, seeded: Seeded) -> tuple[float, list[float], dict[str, int]]:
    """First request's time, then each later request's time, and the statuses seen."""
    times: list[float] = []
    statuses: dict[str, int] = {}
    first = 0.0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        for k, (token, body) in enumerate(zip(seeded.tokens, seeded.bodies, strict=True)):
            headers = {"authorization": f"Bearer {token}"}
            started = time.perf_counter()
            response = client.post("/api/v1/support-requests", json=body, headers=headers)
            took = time.perf_counter() - started
            response.raise_for_status()
            answer = response.json()
            statuses[answer["status"]] = statuses.get(answer["status"], 0) + 1
            if k == 0:
                first = took
            else:
                times.append(took)
            if answer["status"] == "offered":
                cancelled = client.post(
                    f"/api/v1/support-requests/{answer['id']}/cancel", headers=headers
                )
                cancelled.raise_for_status()
    return first, times, statuses


def _ms(samples: Sequence[float], q: float) -> str:
    return f"{float(np.percentile(np.array(samples), q)) * 1000:.1f} ms"


def run(sizes: Sequence[int], n_requests: int, seed: int, *, extra: dict[str, str]) -> None:
    print(f"### Support request → offer, through HTTP ({n_requests} requests, one at a time)\n")
    print("| supporters | seed | first request | p50 | p99 | library build | library p50 |"
          " library p99 | p99 ratio | `GET /me` p50 | `GET /me` p99 | offered |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n in sizes:
        with run_peerhaven(extra=extra) as server:
            assert server.database_url is not None
            started = time.perf_counter()
            seeded = asyncio.run(_seed(server.database_url, n, n_requests, seed))
            seeding = time.perf_counter() - started
            first, times, statuses = _product(server.port, seeded)
            floor = _floor(server.port, seeded)
        build, library = _library(seeded, k=5)
        p99 = float(np.percentile(times, 99)) / float(np.percentile(library, 99))
        seen = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        print(f"| {n:,} | {seeding:.1f} s | {first * 1000:.0f} ms | {_ms(times, 50)} |"
              f" {_ms(times, 99)} | {build:.2f} s | {_ms(library, 50)} | {_ms(library, 99)} |"
              f" {p99:.1f}x | {_ms(floor, 50)} | {_ms(floor, 99)} | {seen} |")  # fmt: skip
    print()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10^3 and 10^4, 50 requests")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--sqlite-synchronous", choices=("FULL", "NORMAL"), default="FULL")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    n_requests = args.requests
    if args.quick:
        sizes, n_requests = [1000, 10000], 50
    extra = {"PEERHAVEN_SQLITE_SYNCHRONOUS": args.sqlite_synchronous,
             "PEERHAVEN_FRANKING_SECRET": secrets.token_urlsafe(32),
             "PEERHAVEN_CHECKINS_SECRET": secrets.token_urlsafe(32)}  # fmt: skip
    run(sizes, n_requests, args.seed, extra=extra)


if __name__ == "__main__":
    main()
