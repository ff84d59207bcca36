"""Server memory per idle authenticated connection: RSS growth at 1k, 5k and 10k connections.

The baseline relay (no authentication, no subscriptions) is measured the same way in the same
run, so the figure can be read against what the stack itself costs.

    .venv/bin/python -m bench.connections [--steps 1000,5000,10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench.servers import Server, run_baseline, run_peerhaven, seed_pairs

__all__ = ["main"]


async def _open(url: str, first: dict[str, Any]) -> ClientConnection:
    socket = await connect(url, proxy=None, compression=None, open_timeout=120,
                           ping_interval=None)  # fmt: skip
    await socket.send(json.dumps(first))
    ready = json.loads(await socket.recv())
    if ready.get("type") != "ready":
        raise RuntimeError(f"refused: {ready}")
    return socket


async def _grow(
    server: Server, steps: list[int], first: Callable[[int], dict[str, Any]]
) -> list[dict[str, Any]]:
    sockets: list[ClientConnection] = []
    gate = asyncio.Semaphore(200)

    async def one(i: int) -> ClientConnection:
        async with gate:
            return await _open(server.url, first(i))

    # Warm up lazily built state (imports, pools) before the first reading.
    sockets.append(await one(0))
    await asyncio.sleep(1)
    start_rss = server.rss()
    rows = []
    for target in steps:
        sockets += await asyncio.gather(*(one(i) for i in range(len(sockets), target)))
        await asyncio.sleep(2)
        grown = server.rss() - start_rss
        rows.append({"connections": target, "rss_mb": server.rss() / 2**20,
                     "per_connection_kib": grown / (target - 1) / 1024})  # fmt: skip
        each = rows[-1]["per_connection_kib"]
        print(f"  {server.name}: {target} connections, {each:.1f} KiB each", file=sys.stderr)
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return rows


def measure(
    name: str, start: Callable[[], AbstractContextManager[Server]], steps: list[int]
) -> list[dict[str, Any]]:
    with start() as server:
        if server.name == "baseline":

            def first(i: int) -> dict[str, Any]:
                return {"type": "join", "name": f"c{i}", "peer": f"p{i}"}
        else:
            plan = seed_pairs(server, 1)
            token = plan["pairs"][0][0]["token"]

            def first(i: int) -> dict[str, Any]:
                return {"type": "auth", "token": token}

        import uvloop

        rows = uvloop.run(_grow(server, steps, first))
    for row in rows:
        row["server"] = name
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", default="1000,5000,10000")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",")]
    began = time.monotonic()
    rows = measure("baseline", run_baseline, steps) + measure("peerhaven", run_peerhaven, steps)
    print("| server | idle connections | server RSS (MiB) | RSS growth per connection (KiB) |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print(f"| {row['server']} | {row['connections']} | {row['rss_mb']:.0f} | "
              f"{row['per_connection_kib']:.1f} |")  # fmt: skip
    print(f"\n({time.monotonic() - began:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
