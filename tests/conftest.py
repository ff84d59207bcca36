"""Fixtures shared by every test folder: real servers, fresh databases, a live Peerhaven."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.services import PostgresServer, RedisServer, start_postgres, start_redis

settings.register_profile(
    "peerhaven", deadline=None, max_examples=50, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "peerhaven"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    yield from start_postgres()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'peerhaven.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh Redis (append-only file in a temp dir) for this test alone."""
    yield from start_redis()
