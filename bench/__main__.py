"""`make bench`: every benchmark, one after another, as one Markdown report on stdout.

.venv/bin/python -m bench            # the full set (about 10 minutes here)
.venv/bin/python -m bench --quick    # a smoke run of each
"""

from __future__ import annotations

import argparse
import contextlib
import io
import platform
import sys
import time
from collections.abc import Callable

from bench import (
    checkins,
    connections,
    crypto,
    match_path,
    match_statements,
    matching,
    moderation,
    relay,
    relay_cluster,
)

__all__ = ["main"]


def _run(title: str, entry: Callable[..., object], argv: list[str]) -> str:
    started = time.monotonic()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        entry(argv) if argv else entry()
    took = time.monotonic() - started
    command = f"python -m bench.{entry.__module__.split('.')[-1]} {' '.join(argv)}".strip()
    return f"## {title}\n\n`{command}` ({took:.0f} s)\n\n{out.getvalue().strip()}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    quick = ["--quick"] if args.quick else []
    sections = [
        _run("Relay", relay.main, quick),
        _run("Relay: PostgreSQL + Redis, two workers", relay_cluster.main, quick),
        _run("Idle connections", connections.main, ["--steps", "100,500"] if args.quick else []),
        _run("Matching", matching.main, quick),
        _run("Moderation", moderation.main, quick),
        _run("Matching through the product", match_path.main, quick),
        _run(
            "Matching: statements per request",
            match_statements.main,
            ["--supporters", "1000", "--requests", "20"] if args.quick else [],
        ),
        _run("Crypto", crypto.main, []),
        _run("Check-ins", checkins.main, quick),
    ]
    print(f"# Peerhaven benchmarks\n\n{platform.platform()}, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")  # fmt: skip
    print("\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
