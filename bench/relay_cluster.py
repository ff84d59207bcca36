"""The relay ladder on the scale-out shape: two uvicorn workers on PostgreSQL 15 and Redis,
against the bare relay (`bench/baseline.py`) in the same run.

    .venv/bin/python -m bench.relay_cluster              # 1,000 connections, two workers
    .venv/bin/python -m bench.relay_cluster --quick      # a smoke run
    .venv/bin/python -m bench.relay_cluster --workers 1,2 --pg-fsync off

Same load and the same verdict as `bench.relay` (its `measure` and `table`: open-loop
generator in its own process, latency from the intended send time, "sustained" = nothing lost,
the schedule kept, p99 < 50 ms). What differs is the deployment: a throwaway PostgreSQL 15
cluster (`initdb` in a temporary directory, durable by default: `fsync=on`,
`synchronous_commit=on`, as production runs it) and a throwaway Redis (pub/sub between the
workers, rate limits), a fresh database per Peerhaven run, and `peerhaven serve --workers N`
on one port (the kernel spreads connections over the workers, so most rooms have their two
members on different workers and every delivery crosses Redis). A separate
fixed-rate run reads PostgreSQL's WAL position and commit count around it: the WAL bytes and
commits per relayed message that docs/deployment.md sizes the database with.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.relay import load, measure, table
from bench.servers import Server, _process, free_port, run_baseline, seed_pairs
from server.db import migrate
from server.db.engine import Database

__all__ = ["MissingService", "Postgres", "main", "run_cluster", "start_postgres", "start_redis"]

_PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")


class MissingService(Exception):
    """A server this benchmark starts is not installed here."""


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster (its data directory is removed when it stops)."""

    port: int
    bin_dir: Path
    as_user: list[str]

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        subprocess.run(
            [*self.as_user, str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p",
             str(self.port), "-U", "postgres", name],
            check=True, capture_output=True,
        )  # fmt: skip
        return self.url(name)


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


@contextmanager
def start_postgres(*, fsync: bool = True, max_connections: int = 100) -> Iterator[Postgres]:
    """PostgreSQL 15 in a temporary directory (as `tests/services.py` starts it, but durable
    unless `fsync` is False)."""
    bin_dir = next((Path(d) for d in _PG_BIN_DIRS if (Path(d) / "initdb").exists()), None)
    if bin_dir is None:
        raise MissingService("PostgreSQL 15 (initdb)")
    root = Path(tempfile.mkdtemp(prefix="peerhaven-bench-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
         "-E", "UTF8"],
        check=True, capture_output=True,
    )  # fmt: skip
    durability = "" if fsync else " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections={max_connections}"
        f" -c shared_buffers=256MB{durability}"
    )
    subprocess.run(
        [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
         str(root / "log"), "-w", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield Postgres(port=port, bin_dir=bin_dir, as_user=as_user)
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True, check=False,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def start_redis() -> Iterator[str]:
    """A throwaway Redis (no persistence: it carries pub/sub and rate limits only)."""
    if shutil.which("redis-server") is None:
        raise MissingService("Redis (redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="peerhaven-bench-redis-") as tmp:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
             "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_for_port(port)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def run_cluster(
    *, database_url: str, redis_url: str, workers: int, extra: dict[str, str] | None = None
) -> Iterator[Server]:
    """`peerhaven serve --workers N` (production settings) on PostgreSQL and Redis."""
    migrate.upgrade(database_url)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="peerhaven-bench-") as tmp:
        env = {
            "PEERHAVEN_ENV": "production",
            "PEERHAVEN_FRANKING_SECRET": secrets.token_urlsafe(32),
            "PEERHAVEN_CHECKINS_SECRET": secrets.token_urlsafe(32),
            "PEERHAVEN_DATABASE_URL": database_url,
            "PEERHAVEN_REDIS_URL": redis_url,
            "PEERHAVEN_DATA_DIR": tmp,
            "PEERHAVEN_LOG_LEVEL": "WARNING",
            "PEERHAVEN_WS_CONNECTIONS_PER_ACCOUNT": "100000",
            "PEERHAVEN_WS_UNAUTHENTICATED_PER_ADDRESS": "100000",  # every client is 127.0.0.1
            **(extra or {}),
        }
        argv = [sys.executable, "-m", "server.cli", "serve", "--port", str(port),
                "--workers", str(workers)]  # fmt: skip
        with _process("peerhaven", argv, env, port, database_url) as server:
            time.sleep(2.0 * (workers - 1))  # /healthz answered by one worker; let the rest start
            yield server


async def _franking_bytes(url: str) -> float:
    """Bytes on disk (heap, indexes, TOAST) per kept franking record (`sent_messages`: one per
    delivered message, kept for the report window)."""
    db = Database(url)
    try:
        async with db.engine.connect() as connection:
            size, rows = (await connection.execute(sa.text(
                "SELECT pg_total_relation_size('sent_messages'), count(*) FROM sent_messages"
            ))).one()  # fmt: skip
        return int(size) / max(int(rows), 1)
    finally:
        await db.dispose()


async def _wal_position(url: str) -> tuple[int, int]:
    """(WAL bytes written so far, transactions committed) of the cluster."""
    db = Database(url)
    try:
        async with db.engine.connect() as connection:
            wal = (await connection.execute(sa.text(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
            ))).scalar_one()  # fmt: skip
            commits = (await connection.execute(sa.text(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            ))).scalar_one()  # fmt: skip
        return int(wal), int(commits)
    finally:
        await db.dispose()


def _database_cost(
    start: Callable[[], AbstractContextManager[Server]], pairs: int, rate: float, seconds: float
) -> str:
    """One fixed-rate run with the cluster's WAL position and commit count read around it."""
    with start() as server, tempfile.TemporaryDirectory() as tmp:
        assert server.database_url is not None
        plan_path = Path(tmp) / "plan.json"
        plan_path.write_text(json.dumps(seed_pairs(server, pairs)))
        wal0, commits0 = asyncio.run(_wal_position(server.database_url))
        result = load(server, plan_path, rate, seconds)
        wal1, commits1 = asyncio.run(_wal_position(server.database_url))
        kept = asyncio.run(_franking_bytes(server.database_url))
    # The generator sends one second of warm-up first (`bench.loadgen --warmup`), unmeasured
    # for latency but written like the rest.
    sent = result["sent"] + rate * 1.0
    return (f"{sent:.0f} | {(wal1 - wal0) / sent:,.0f} | {(commits1 - commits0) / sent:.2f} |"
            f" {kept:,.0f} | {result['p99_ms']:.1f} |")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rates", default="200,500,1000")
    parser.add_argument("--ladder", default="250,500,750,1000,1500,2000,3000,4000")
    parser.add_argument("--workers", default="2", help="worker counts to run, e.g. 1,2")
    parser.add_argument("--pg-fsync", choices=("on", "off"), default="on")
    parser.add_argument("--quick", action="store_true", help="100 connections, short runs")
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE",
        help="an extra PEERHAVEN_* setting for Peerhaven (repeatable)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.connections, args.seconds, args.rates, args.ladder = 100, 2.0, "200", "200,400"
    rates = [float(r) for r in args.rates.split(",")]
    ladder = [float(r) for r in args.ladder.split(",")]
    extra = dict(item.split("=", 1) for item in args.env)
    pairs = args.connections // 2
    results: list[dict[str, Any]] = []
    costs: list[str] = []
    try:
        with start_postgres(fsync=args.pg_fsync == "on") as pg, start_redis() as redis_url:
            servers: list[tuple[str, Callable[[], AbstractContextManager[Server]]]] = [
                ("baseline", run_baseline)
            ]
            for n in (int(w) for w in args.workers.split(",")):
                name = f"peerhaven, {n} worker{'s' if n > 1 else ''}, PostgreSQL + Redis"

                def cluster(n: int = n) -> AbstractContextManager[Server]:
                    url = pg.create_database(f"bench_{n}w_{secrets.token_hex(4)}")
                    return run_cluster(
                        database_url=url, redis_url=redis_url, workers=n, extra=extra
                    )

                servers.append((name, cluster))
            for name, start in servers:
                results.append(measure(
                    name, start, pairs=pairs, rates=rates, ladder=ladder, seconds=args.seconds
                ))  # fmt: skip
                if name != "baseline":
                    cost = _database_cost(start, pairs, rates[0], args.seconds)
                    costs.append(f"| {name} | {cost}")
    except MissingService as missing:  # `make bench` goes on with the other benchmarks
        print(f"Not measured: {missing} is not installed on this machine.")
        return 0
    for line in table(results, max(ladder)):
        print(line)
    print()
    what = f"a separate {rates[0]:.0f} msg/s run of {args.seconds:.0f} s"
    print(f"What PostgreSQL did per relayed message ({what}; each message is stored, delivered")
    print("and deleted on ack):")
    print()
    print("| server | messages | WAL bytes per message | commits per message |"
          " bytes per franking record | p99 ms |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for line in costs:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
