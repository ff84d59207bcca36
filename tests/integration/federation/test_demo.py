"""`peerhaven demo --federated`: two demo nodes on one machine, peered, each with invites."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from pathlib import Path

from server import demo


def _free_pair() -> tuple[int, int]:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        try:
            with socket.socket() as second:
                second.bind(("127.0.0.1", port + 1))
            return port, port + 1
        except OSError:
            continue


async def test_the_federated_demo_serves_two_peered_nodes(tmp_path: Path) -> None:
    lines: list[str] = []
    stop = asyncio.Event()
    ports = _free_pair()

    def say(line: str) -> None:
        lines.append(line)
        if line.startswith("peering"):
            stop.set()

    statuses = await asyncio.wait_for(
        demo.run_federated(tmp_path, ports=ports, now=datetime.now(UTC), stop=stop, say=say), 60
    )
    assert statuses == ["active", "active"]
    for name in ("a", "b"):
        invites = (tmp_path / f"node-{name}" / "demo-invites.txt").read_text()
        assert "network_admin" in invites and "supporter" in invites
    # Started again on the same data: no new seed, still peered.
    stop.clear()
    lines.clear()
    again = await asyncio.wait_for(
        demo.run_federated(tmp_path, ports=ports, now=datetime.now(UTC), stop=stop, say=say), 60
    )
    assert again == ["active", "active"]
