"""Relay fixtures: a matched room (`flow`), and two `peerhaven serve` processes that share only
PostgreSQL and Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.flows import Flow, build_flow
from tests.live import LiveServer
from tests.services import PostgresServer, RedisServer, free_port
from tests.world import World, make_settings, seed_world


class _Worker:
    """`peerhaven serve` as its own process."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"worker on {port} did not start: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.close()


@pytest.fixture
def worker_env() -> dict[str, str]:
    """Extra `PEERHAVEN_*` settings for both workers (override in a test module)."""
    return {}


@pytest.fixture
def two_workers(
    postgres: PostgresServer, redis_server: RedisServer, tmp_path: Path, worker_env: dict[str, str]
) -> Iterator[tuple[World, str]]:
    url = postgres.create_database(f"workers_{uuid.uuid4().hex[:12]}")
    origin = "http://peerhaven.test"
    env = {
        **worker_env,
        "PEERHAVEN_DATABASE_URL": url, "PEERHAVEN_REDIS_URL": redis_server.url,
        "PEERHAVEN_DATA_DIR": str(tmp_path / "var"), "PEERHAVEN_PUBLIC_ORIGIN": origin,
        "PEERHAVEN_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    from server.db import migrate

    migrate.upgrade(url)
    first = _Worker(env, free_port(), tmp_path / "one.log")
    try:
        second = _Worker(env, free_port(), tmp_path / "two.log")
        try:
            settings = make_settings(url, tmp_path / "var", public_origin=origin, port=first.port)
            live = LiveServer(settings=settings, base_url=f"http://127.0.0.1:{first.port}")
            with live.client() as client:
                world = World(server=live, client=client)
                seed_world(world)
                yield world, f"http://127.0.0.1:{second.port}"
        finally:
            second.stop()
    finally:
        first.stop()


@pytest.fixture
def flow(world: World, tmp_path: Path) -> Iterator[Flow]:
    """A clinician and a supporter matched into one room, both joined."""
    built = build_flow(world, tmp_path)
    yield built
    built.clinician.client.close()
    built.supporter.client.close()
