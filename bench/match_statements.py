"""SQL statements and commits per `POST /api/v1/support-requests`, counted inside the server.

Run: ``.venv/bin/python -m bench.match_statements`` (``--supporters``, ``--requests``,
``--show`` prints one request's statements).

`bench.match_path` times the route from outside; this counts what the route asks of the
database, which is what bounds it once ranking is in memory. The server runs in this process
(`tests.live.serve`, a real uvicorn on a thread) on a fresh SQLite file seeded as
`bench.match_path` seeds it, and a SQLAlchemy `before_cursor_execute` listener counts every
statement (and every commit) between sending a request and reading its answer. The first
request is left out (it builds the pool). Background work that happens to run meanwhile (a
periodic job, a push lookup) is counted too: the median is the route's own figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import event
from sqlalchemy.engine import Engine

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.match_path import _seed
from tests.live import serve
from tests.world import make_settings

__all__ = ["main"]


class _Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.commits = 0

    def executed(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(" ".join(statement.split())[:140])

    def committed(self, _conn: Any) -> None:
        self.commits += 1


def run(n: int, n_requests: int, *, show: bool) -> None:
    counter = _Counter()
    event.listen(Engine, "before_cursor_execute", counter.executed)
    event.listen(Engine, "commit", counter.committed)
    statements, commits = [], []
    shown: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="peerhaven-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            settings = make_settings(url, Path(tmp), franking_secret=secrets.token_urlsafe(32))
            with serve(settings) as live:
                seeded = asyncio.run(_seed(url, n, n_requests, 17))
                with httpx.Client(base_url=live.base_url, timeout=120) as client:
                    pairs = zip(seeded.tokens, seeded.bodies, strict=True)
                    for k, (token, body) in enumerate(pairs):
                        headers = {"authorization": f"Bearer {token}"}
                        counter.statements.clear()
                        counter.commits = 0
                        answer = client.post("/api/v1/support-requests", json=body, headers=headers)
                        answer.raise_for_status()
                        if k > 0:
                            statements.append(len(counter.statements))
                            commits.append(counter.commits)
                        if k == 2:
                            shown = list(counter.statements)
                        made = answer.json()
                        if made["status"] == "offered":
                            client.post(
                                f"/api/v1/support-requests/{made['id']}/cancel", headers=headers
                            ).raise_for_status()
    finally:
        event.remove(Engine, "before_cursor_execute", counter.executed)
        event.remove(Engine, "commit", counter.committed)
    print("| supporters | requests | statements per request (median, min-max) | commits |")
    print("|---:|---:|---:|---:|")
    print(f"| {n:,} | {len(statements)} | {np.median(statements):.0f} "
          f"({min(statements)}-{max(statements)}) | {np.median(commits):.0f} |")  # fmt: skip
    if show:
        print()
        for statement in shown:
            print(f"    {statement}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--supporters", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args(argv)
    run(args.supporters, args.requests, show=args.show)


if __name__ == "__main__":
    main()
