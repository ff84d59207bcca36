"""Real PostgreSQL and Redis servers for the tests, each started in a temporary directory.

When a server's binaries are missing the fixtures skip, unless PEERHAVEN_REQUIRE_SERVICES is set
(CI sets it), in which case they fail: CI never passes by skipping what it should test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = [
    "PostgresServer",
    "RedisServer",
    "free_port",
    "missing_service",
    "start_postgres",
    "start_redis",
]

PG_BIN_DIRS = (
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)


def missing_service(what: str) -> None:
    """Skip locally, fail on CI."""
    if os.environ.get("PEERHAVEN_REQUIRE_SERVICES"):
        pytest.fail(f"{what} is required (PEERHAVEN_REQUIRE_SERVICES is set) but not available")
    pytest.skip(f"{what} is not available")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


@dataclass
class PostgresServer:
    port: int
    data_dir: Path
    _as_user: list[str]
    _bin: Path

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        subprocess.run(
            [*self._as_user, str(self._bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", name],
            check=True, capture_output=True,
        )  # fmt: skip
        return self.url(name)

    def dump(self, database: str) -> bytes:
        """Everything the database holds, as pg_dump prints it."""
        result = subprocess.run(
            [*self._as_user, str(self._bin / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", database],
            check=True, capture_output=True,
        )  # fmt: skip
        return result.stdout


def _pg_bin() -> Path | None:
    for candidate in PG_BIN_DIRS:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def start_postgres() -> Iterator[PostgresServer]:
    bin_dir = _pg_bin()
    if bin_dir is None:
        missing_service("PostgreSQL (initdb)")
        return
    root = Path(tempfile.mkdtemp(prefix="peerhaven-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    port = free_port()
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
         "-E", "UTF8", "--no-sync"],
        check=True, capture_output=True,
    )  # fmt: skip
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    )
    subprocess.run(
        [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
         str(root / "log"), "-w", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield PostgresServer(port=port, data_dir=data, _as_user=as_user, _bin=bin_dir)
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class RedisServer:
    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def start(self) -> None:
        """(Re)start on the same port and directory, keeping the saved data."""
        self.process = _spawn_redis(self.port, self.directory)


def _spawn_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--appendonly", "yes", "--save", "", "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_for_port(port)
    return process


def start_redis() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        missing_service("Redis (redis-server)")
        return
    directory = Path(tempfile.mkdtemp(prefix="peerhaven-redis-"))
    port = free_port()
    server = RedisServer(port=port, directory=directory, process=_spawn_redis(port, directory))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
