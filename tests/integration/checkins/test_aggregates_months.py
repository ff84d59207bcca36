"""The dashboard's months are UTC months, computed by the database on both backends: a row a
microsecond before midnight UTC at a month's end counts in that month, one at midnight in the
next, whatever time zone the database session runs in (the query groups by the month of each
row; see `server.checkins.aggregates`)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from server.checkins import aggregates
from server.db import migrate
from server.db.engine import Database
from server.db.models import AdverseEventReceipt, Institution, Network

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)


async def test_rows_count_in_their_utc_month(database_url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, database_url)
    db = Database(database_url)
    try:
        async with db.session() as session:
            network = Network(slug="n", name="N", created_at=NOW)
            session.add(network)
            await session.flush()
            institution = Institution(network_id=network.id, slug="a", name="A", created_at=NOW)
            session.add(institution)
            await session.flush()
            midnight = datetime(2026, 6, 1, tzinfo=UTC)
            edge = midnight - timedelta(microseconds=1)
            at = [edge] * 5 + [midnight] * 6 + [datetime(2025, 11, 30, 23, tzinfo=UTC)] * 7
            at += [datetime(2026, 12, 1, tzinfo=UTC)] * 8  # the running month: never shown
            for moment in at:
                session.add(AdverseEventReceipt(institution_id=institution.id,
                                                event_key=secrets.token_bytes(32),
                                                received_at=moment))  # fmt: skip
            await session.commit()
        async with db.session() as session:
            if session.get_bind().dialect.name == "postgresql":
                # A zone far from UTC, where 23:59 UTC on 31 May is already 1 June.
                await session.exec(sa.text("SET TIME ZONE 'Pacific/Kiritimati'"))  # type: ignore[call-overload]
            months = await aggregates.monthly_summary(
                session, institution_id=institution.id, now=NOW, k=5
            )
    finally:
        await db.dispose()
    events = {m.month: m.counts["events_received"].value for m in months}
    assert list(events) == ["2025-12", *(f"2026-{n:02d}" for n in range(1, 12))]
    assert events["2026-05"] == 5 and events["2026-06"] == 6
    assert all(
        value is None for month, value in events.items() if month not in {"2026-05", "2026-06"}
    )  # fmt: skip — Nov 2025 is outside the 12 months
