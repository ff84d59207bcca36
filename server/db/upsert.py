"""INSERT … ON CONFLICT DO NOTHING on both backends (a race-free "create if missing")."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["insert_if_missing"]


async def insert_if_missing(session: AsyncSession, model: type[SQLModel], **values: Any) -> None:
    """Insert a row unless one with the same key exists; never raises on the conflict."""
    bind = session.get_bind()
    insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
    await session.exec(insert(model).values(**values).on_conflict_do_nothing())
