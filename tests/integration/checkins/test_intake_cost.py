"""What one intake costs the database, and what it does when two requests race, on both
backends (the domain call against a migrated database; no HTTP server needed):

* an event is one transaction of at most five statements (docs/performance.md, Check-ins);
* a credential's "last used" moves in steps of `LAST_USED_STEP`, not on every request;
* a copy of an event received while the first is still uncommitted is a `duplicate`, not an
  error, and schedules nothing of its own.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import func, select

from server.checkins import credentials, intake
from server.checkins.keys import CheckinKeys
from server.checkins.signatures import signature_header
from server.checkins.states import IntakeResult
from server.config import Settings
from server.db import migrate
from server.db.engine import Database
from server.db.models import (
    Account,
    AdverseEventReceipt,
    CheckinOffer,
    Institution,
    IntakeNonce,
    IntegrationCredential,
    Network,
    StaffLink,
)
from tests.integration.checkins.intake import make_event

KEYS = CheckinKeys(secrets.token_bytes(32))
T0 = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)


@dataclass
class Intake:
    db: Database
    settings: Settings
    credential_id: str
    secret: str
    linked: list[uuid.UUID]

    def request(self, body: dict[str, Any], now: datetime) -> dict[str, Any]:
        raw = json.dumps(body).encode()
        nonce, ts = secrets.token_urlsafe(18), int(now.timestamp())
        headers = {
            "Peerhaven-Credential": self.credential_id,
            "Peerhaven-Timestamp": str(ts),
            "Peerhaven-Nonce": nonce,
            "Peerhaven-Signature": signature_header(self.secret, nonce=nonce, timestamp=ts,
                                                    body=raw),
        }  # fmt: skip
        return {"headers": headers, "body": raw, "keys": KEYS, "settings": self.settings,
                "now": now}  # fmt: skip

    async def receive(self, body: dict[str, Any], now: datetime) -> IntakeResult:
        async with self.db.session() as session:
            result = await intake.receive_adverse_event(session, **self.request(body, now))
            await session.commit()
        return result

    async def count(self, model: Any) -> int:
        async with self.db.session() as session:
            found: int = (await session.exec(select(func.count()).select_from(model))).one()
        return found


@pytest.fixture
async def setup(database_url: str) -> AsyncIterator[Intake]:
    await asyncio.to_thread(migrate.upgrade, database_url)  # Alembic runs a loop of its own
    db = Database(database_url)
    try:
        async with db.session() as session:
            network = Network(slug="n", name="N", created_at=T0)
            session.add(network)
            await session.flush()
            institution = Institution(network_id=network.id, slug="a", name="A", created_at=T0)
            session.add(institution)
            await session.flush()
            linked = []
            for n in range(2):
                account = Account(institution_id=institution.id, role="clinician",
                                  identity_key=secrets.token_bytes(32), created_at=T0)  # fmt: skip
                session.add(account)
                await session.flush()
                session.add(StaffLink(account_id=account.id, institution_id=institution.id,
                                      staff_hash=KEYS.staff_hash(institution.id, f"N-{n}"),
                                      created_at=T0))  # fmt: skip
                linked.append(account.id)
            issued = await credentials.create_credential(
                session, actor=None, institution_id=institution.id, label="incidents",
                keys=KEYS, now=T0, max_active=5,
            )  # fmt: skip
            await session.commit()
        yield Intake(db, Settings(database_url=database_url), str(issued.credential.id),
                     issued.secret, linked)  # fmt: skip
    finally:
        await db.dispose()


async def test_an_event_is_five_statements_and_one_commit(setup: Intake) -> None:
    await setup.receive(make_event("warm-up", "N-9"), T0)  # sets "last used"
    statements: list[str] = []
    commits: list[object] = []
    engine = setup.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    event.listen(engine, "commit", commits.append)
    # Two linked clinicians, two identifiers nobody linked.
    body = make_event("e1", "N-0", "N-1", "X-1", "X-2")
    assert await setup.receive(body, T0 + timedelta(seconds=5)) is IntakeResult.ACCEPTED
    verbs = [s.split(None, 1)[0].upper() for s in statements]
    # credential, nonce, receipt, linked clinicians without an open check-in, their check-ins
    assert verbs == ["SELECT", "INSERT", "INSERT", "SELECT", "INSERT"], statements
    assert len(commits) == 1
    assert await setup.count(CheckinOffer) == 2


async def test_last_used_moves_in_steps(setup: Intake) -> None:
    async def last_used() -> datetime | None:
        async with setup.db.session() as session:
            found = await session.get(IntegrationCredential, uuid.UUID(setup.credential_id))
            assert found is not None
            return found.last_used_at

    assert await last_used() is None
    await setup.receive(make_event("e1", "X-1"), T0)
    assert await last_used() == T0
    await setup.receive(make_event("e2", "X-1"), T0 + intake.LAST_USED_STEP / 2)
    assert await last_used() == T0
    later = T0 + intake.LAST_USED_STEP + timedelta(seconds=1)
    await setup.receive(make_event("e3", "X-1"), later)
    assert await last_used() == later


async def _waiting_on_a_lock(db: Database) -> None:
    """Until a PostgreSQL backend of this database waits for a lock another one holds."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(500):
        async with db.session() as session:
            if (await session.exec(query)).one()[0]:  # type: ignore[call-overload]
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the second request never waited for the first")


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_copy_received_while_the_first_is_uncommitted_is_a_duplicate(
    setup: Intake,
) -> None:
    await setup.receive(make_event("warm-up", "X-1"), T0)  # "last used" is current: not written
    body = make_event("e1", "N-0", "N-1")
    async with setup.db.session() as first:
        assert await intake.receive_adverse_event(first, **setup.request(body, T0)) is (
            IntakeResult.ACCEPTED
        )

        async def second() -> IntakeResult:
            async with setup.db.session() as session:
                result = await intake.receive_adverse_event(session, **setup.request(body, T0))
                await session.commit()
            return result

        racing = asyncio.create_task(second())
        await _waiting_on_a_lock(setup.db)  # the copy's receipt waits on the first's row
        await first.commit()
    assert await racing is IntakeResult.DUPLICATE
    assert await setup.count(AdverseEventReceipt) == 2  # the warm-up's and e1's
    assert await setup.count(IntakeNonce) == 3  # every request was genuine, and is spent
    assert await setup.count(CheckinOffer) == 2


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_events_racing_for_one_clinician_schedule_one_check_in(setup: Intake) -> None:
    await setup.receive(make_event("warm-up", "X-1"), T0)  # "last used" is current: not written
    async with setup.db.session() as first:
        result = await intake.receive_adverse_event(
            first, **setup.request(make_event("e1", "N-0"), T0)
        )
        assert result is IntakeResult.ACCEPTED

        async def second() -> IntakeResult:
            async with setup.db.session() as session:
                result = await intake.receive_adverse_event(
                    session, **setup.request(make_event("e2", "N-0", "N-1"), T0)
                )
                await session.commit()
            return result

        racing = asyncio.create_task(second())
        await _waiting_on_a_lock(setup.db)  # its check-in for N-0 waits on the first's
        await first.commit()
    assert await racing is IntakeResult.ACCEPTED  # a different event: received, counted
    assert await setup.count(AdverseEventReceipt) == 3
    assert await setup.count(CheckinOffer) == 2  # N-0 once, N-1 once
