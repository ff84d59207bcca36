"""Servers under test, each in its own process: Peerhaven (`peerhaven serve`, production
settings) and the baseline relay; plus seeding rooms and tokens for the load generator."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

from server.accounts import auth, directory
from server.accounts.roles import Role
from server.db import migrate
from server.db.engine import Database
from server.db.models import Account, Room, RoomMember, SupportRequest

__all__ = ["Server", "free_port", "run_baseline", "run_peerhaven", "seed_pairs"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    database_url: str | None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def rss(self) -> int:
        """Resident memory of the server process and its children, in bytes."""
        proc = psutil.Process(self.process.pid)
        return int(sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]))


def _wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited while starting")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not become healthy")


@contextmanager
def _process(
    name: str, argv: list[str], env: dict[str, str], port: int, db: str | None
) -> Iterator[Server]:
    process = subprocess.Popen(
        argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_healthy(port, process)
        yield Server(name=name, process=process, port=port, database_url=db)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def run_peerhaven(
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    extra: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Peerhaven in production mode on a fresh SQLite file (or the given database)."""
    with tempfile.TemporaryDirectory(prefix="peerhaven-bench-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        port = free_port()
        env = {
            "PEERHAVEN_ENV": "production",
            "PEERHAVEN_FRANKING_SECRET": secrets.token_urlsafe(32),
            "PEERHAVEN_CHECKINS_SECRET": secrets.token_urlsafe(32),
            "PEERHAVEN_DATABASE_URL": url,
            "PEERHAVEN_DATA_DIR": tmp,
            "PEERHAVEN_LOG_LEVEL": "WARNING",
            "PEERHAVEN_WS_CONNECTIONS_PER_ACCOUNT": "100000",
            "PEERHAVEN_WS_UNAUTHENTICATED_PER_ADDRESS": "100000",  # every client is 127.0.0.1
            **({"PEERHAVEN_REDIS_URL": redis_url} if redis_url else {}),
            **(extra or {}),
        }
        argv = [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
        with _process("peerhaven", argv, env, port, url) as server:
            yield server


@contextmanager
def run_baseline() -> Iterator[Server]:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "bench.baseline:create_app", "--factory",
            "--port", str(port), "--log-level", "warning", "--no-access-log",
            "--ws-per-message-deflate", "false"]  # fmt: skip
    with _process("baseline", argv, {}, port, None) as server:
        yield server


async def _seed(url: str, pairs: int) -> list[list[dict[str, Any]]]:
    db = Database(url)
    now = datetime.now(UTC)
    ttl = timedelta(hours=2)
    plan: list[list[dict[str, Any]]] = []
    try:
        async with db.session() as session:
            suffix = uuid.uuid4().hex[:8]
            network = await directory.create_network(
                session, slug=f"bench-{suffix}", name="Bench", now=now
            )
            sides = []
            for key in ("a", "b"):
                sides.append(await directory.create_institution(
                    session, network_id=network.id, slug=f"bench-{key}-{suffix}", name=key, now=now
                ))  # fmt: skip
            for _ in range(pairs):
                people = [
                    Account(institution_id=inst.id, role=role.value, identity_key=os.urandom(32),
                            created_at=now)
                    for inst, role in zip(sides, (Role.CLINICIAN, Role.SUPPORTER), strict=True)
                ]  # fmt: skip
                session.add_all(people)
                await session.flush()
                request = SupportRequest(
                    requester_id=people[0].id, status="matched", topics=["burnout"],
                    urgency="routine", languages=["en"], created_at=now, updated_at=now,
                )  # fmt: skip
                session.add(request)
                await session.flush()
                room = Room(request_id=request.id, topics=["burnout"], created_at=now)
                session.add(room)
                await session.flush()
                members = [
                    RoomMember(room_id=room.id, account_id=p.id, role=r, handle=f"h{i}",
                               specialty_label="Emergency Medicine", experience_band="5-9 years",
                               joined_at=now)
                    for i, (p, r) in enumerate(zip(people, ("requester", "supporter"), strict=True))
                ]  # fmt: skip
                session.add_all(members)
                await session.flush()
                pair = []
                for person, member in zip(people, members, strict=True):
                    issued = await auth.issue_token(session, account_id=person.id, ttl=ttl, now=now)
                    pair.append(
                        {"token": issued.token, "room": str(room.id), "member": str(member.id)}
                    )
                plan.append(pair)
            await session.commit()
    finally:
        await db.dispose()
    return plan


def seed_pairs(server: Server, pairs: int) -> dict[str, Any]:
    """A load-generator plan: `pairs` rooms of two connections each."""
    if server.name == "baseline":
        plan_pairs = [
            [{"name": f"a{i}", "peer": f"b{i}"}, {"name": f"b{i}", "peer": f"a{i}"}]
            for i in range(pairs)
        ]
    else:
        assert server.database_url is not None
        plan_pairs = asyncio.run(_seed(server.database_url, pairs))
    return {"mode": server.name, "url": server.url, "pairs": plan_pairs}
