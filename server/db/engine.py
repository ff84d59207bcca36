"""The async engine and session factory, built from settings (never at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db.changes import Changes

__all__ = ["Database", "sqlite_path"]


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other backends and in-memory databases."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _sqlite_pragmas(synchronous: str) -> Any:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    return apply


class Database:
    """Owns the engine. `session()` yields a session whose transaction the caller commits.

    SQLite runs in WAL mode with `synchronous=FULL` by default: every commit is on disk before it
    is acknowledged. `NORMAL` skips that fsync (a commit survives a crash of the process, not of
    the machine) and is much faster; see docs/performance.md.

    `changes` announces what committed transactions touched (see `server.db.changes`).
    """

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL",
    ) -> None:
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a database error must never carry row data (envelopes) into a log.
        self.engine: AsyncEngine = create_async_engine(
            url, echo=echo, pool_pre_ping=path is None, hide_parameters=True
        )
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas(sqlite_synchronous))
        # A session class of our own, so commit hooks are this database's and no one else's.
        self.changes = Changes()
        session_class = type("DatabaseSession", (Session,), {})
        self.changes.install(session_class)
        self._sessions = async_sessionmaker(
            self.engine,
            class_=AsyncSession,
            expire_on_commit=False,
            sync_session_class=session_class,
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
