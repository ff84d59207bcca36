"""Check-ins: the signed AdverseEvent intake against linked clinicians, and the dashboard query.

Run: ``.venv/bin/python -m bench.checkins`` (10,000 events against 10^4 linked clinicians, and a
year of aggregate data; a few minutes on SQLite on a shared machine). ``--quick`` for a smoke run;
``--database-url postgresql+asyncpg://…`` for PostgreSQL (an empty database).

All sides run in this process on the same database file, one transaction per event as the
route does (session, work, commit), each event stamped with the wall clock as the route does:

* **intake** — `server.checkins.intake.receive_adverse_event`: parse and check the signature
  headers, unseal the credential, validate the FHIR resource, hash every named identifier,
  spend the nonce, keep the receipt (refusing a duplicate), look up the links, schedule
  check-ins.
* **bare insert** (the baseline) — the same rows written with no checks, as Core statements:
  the receipt, the nonce and the check-in rows the intake produced for that event (one
  executemany), one commit. Same durability (`synchronous=FULL`: an fsync per commit).
* **bare insert, synchronous=NORMAL** — the same again on a connection that skips the fsync: the
  difference to the bare insert is what the disk costs.
* **FHIR validation alone** — `read_adverse_event` on the same bodies (no I/O).

Statements per event are counted with a SQLAlchemy `before_cursor_execute` listener.

The dashboard query is `server.checkins.aggregates.monthly_summary` over a year of rows (events,
offers, acceptances, rooms, flags), against a bare `SELECT` of one of its timestamp columns.
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlmodel import col, select

from server.checkins import aggregates, credentials, intake
from server.checkins.fhir import read_adverse_event
from server.checkins.keys import CheckinKeys
from server.checkins.signatures import signature_header
from server.checkins.states import CheckinReason, CheckinStatus
from server.config import Settings
from server.db import migrate
from server.db.engine import Database
from server.db.models import (
    Account,
    AdverseEventReceipt,
    CheckinOffer,
    Institution,
    IntakeNonce,
    Network,
    StaffLink,
    table_of,
)

__all__ = ["main"]

KEYS = CheckinKeys(secrets.token_bytes(32))
_COUNT_OFFERS = select(sa.func.count()).select_from(CheckinOffer)


def _pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def _seed(
    db: Database, clinicians: int, now: datetime
) -> tuple[uuid.UUID, dict[str, str], list[uuid.UUID]]:
    async with db.session() as session:
        network = Network(slug="bench", name="Bench", created_at=now)
        session.add(network)
        await session.flush()
        institution = Institution(network_id=network.id, slug="bench-a", name="A", created_at=now)
        session.add(institution)
        await session.flush()
        accounts = [
            {"id": uuid.uuid4(), "institution_id": institution.id, "role": "clinician",
             "identity_key": secrets.token_bytes(32), "created_at": now}
            for _ in range(clinicians)
        ]  # fmt: skip
        await session.exec(sa.insert(Account), params=accounts)  # type: ignore[call-overload]
        links = [
            {"account_id": a["id"], "institution_id": institution.id,
             "staff_hash": KEYS.staff_hash(institution.id, f"S-{i}"), "created_at": now}
            for i, a in enumerate(accounts)
        ]  # fmt: skip
        await session.exec(sa.insert(StaffLink), params=links)  # type: ignore[call-overload]
        issued = await credentials.create_credential(
            session, actor=None, institution_id=institution.id, label="bench", keys=KEYS,
            now=now, max_active=10,
        )  # fmt: skip
        await session.commit()
        cred = {"id": str(issued.credential.id), "secret": issued.secret}
        return institution.id, cred, [a["id"] for a in accounts]


def _event(i: int, clinicians: int, rng: random.Random) -> bytes:
    staff = [f"S-{rng.randrange(clinicians)}", f"S-{rng.randrange(clinicians)}",
             f"X-{i}-1", f"X-{i}-2"]  # two linked (usually), two nobody linked  # fmt: skip
    return json.dumps({
        "resourceType": "AdverseEvent", "actuality": "actual",
        "identifier": {"system": "urn:bench", "value": f"E-{i}"},
        "subject": {"reference": "Patient/p"}, "date": "2026-03-12T10:00:00Z",
        "contributor": [{"identifier": {"system": "urn:staff", "value": s}} for s in staff],
    }).encode()  # fmt: skip


class _Statements:
    """Counts the statements a database runs (its `before_cursor_execute` event)."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        sa_event.listen(db.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1


async def _intake(db: Database, settings: Settings, cred: dict[str, str],
                  bodies: list[bytes]) -> list[float]:  # fmt: skip
    took: list[float] = []
    for body in bodies:
        nonce = secrets.token_urlsafe(18)
        now = datetime.now(UTC)
        ts = int(now.timestamp())
        headers = {"Peerhaven-Credential": cred["id"], "Peerhaven-Timestamp": str(ts),
                   "Peerhaven-Nonce": nonce,
                   "Peerhaven-Signature": signature_header(cred["secret"], nonce=nonce,
                                                           timestamp=ts, body=body)}  # fmt: skip
        start = time.perf_counter()
        async with db.session() as session:
            await intake.receive_adverse_event(session, headers=headers, body=body, keys=KEYS,
                                               settings=settings, now=now)  # fmt: skip
            await session.commit()
        took.append(time.perf_counter() - start)
    return took


async def _bare(db: Database, institution_id: uuid.UUID, credential_id: uuid.UUID,
                accounts: list[uuid.UUID], per_event: list[int]) -> list[float]:  # fmt: skip
    took = []
    rng = random.Random(2)
    receipts, nonces, offers = (table_of(m) for m in (AdverseEventReceipt, IntakeNonce,
                                                      CheckinOffer))  # fmt: skip
    for n_offers in per_event:
        start = time.perf_counter()
        now = datetime.now(UTC)
        async with db.session() as session:
            connection = await session.connection()
            await connection.execute(sa.insert(receipts), {
                "id": uuid.uuid4(), "institution_id": institution_id,
                "event_key": secrets.token_bytes(32), "received_at": now,
            })  # fmt: skip
            await connection.execute(sa.insert(nonces), {
                "credential_id": credential_id, "nonce": secrets.token_urlsafe(18),
                "expires_at": now,
            })  # fmt: skip
            if n_offers:
                await connection.execute(sa.insert(offers), [
                    {"id": uuid.uuid4(), "account_id": rng.choice(accounts),
                     "institution_id": institution_id, "reason": CheckinReason.EVENT.value,
                     "event_date": now.date(), "status": CheckinStatus.SCHEDULED.value,
                     "due_at": now, "reminded": False, "created_at": now}
                    for _ in range(n_offers)
                ])  # fmt: skip
            await session.commit()
        took.append(time.perf_counter() - start)
    return took


def _validation(bodies: list[bytes], max_participants: int) -> list[float]:
    took = []
    for body in bodies:
        start = time.perf_counter()
        read_adverse_event(body, max_participants=max_participants)
        took.append(time.perf_counter() - start)
    return took


async def _year_of_data(db: Database, institution_id: uuid.UUID, rows: int, now: datetime) -> None:
    rng = random.Random(7)
    async with db.session() as session:
        account = (await session.exec(select(Account.id).limit(1))).one()
        receipts, offers = [], []
        for _ in range(rows):
            at = now - timedelta(days=rng.uniform(1, 365))
            receipts.append(
                {
                    "id": uuid.uuid4(),
                    "institution_id": institution_id,
                    "event_key": secrets.token_bytes(32),
                    "received_at": at,
                }
            )
            accepted = rng.random() < 0.3
            offers.append({
                "id": uuid.uuid4(), "account_id": account, "institution_id": institution_id,
                "reason": "event", "event_date": at.date(),
                "status": (CheckinStatus.ACCEPTED if accepted else CheckinStatus.DECLINED).value,
                "due_at": at, "reminded": False, "created_at": at, "offered_at": at,
                "responded_at": at + timedelta(hours=1), "request_id": None,
            })  # fmt: skip
        await session.exec(sa.insert(AdverseEventReceipt), params=receipts)  # type: ignore[call-overload]
        await session.exec(sa.insert(CheckinOffer), params=offers)  # type: ignore[call-overload]
        await session.commit()


async def _dashboard(db: Database, institution_id: uuid.UUID, runs: int,
                     now: datetime) -> tuple[list[float], list[float]]:  # fmt: skip
    full, bare = [], []
    for _ in range(runs):
        start = time.perf_counter()
        async with db.session() as session:
            await aggregates.monthly_summary(session, institution_id=institution_id, now=now, k=5)
        full.append(time.perf_counter() - start)
        start = time.perf_counter()
        async with db.session() as session:
            list((await session.exec(select(AdverseEventReceipt.received_at).where(
                AdverseEventReceipt.institution_id == institution_id,
                col(AdverseEventReceipt.received_at) >= now - timedelta(days=366),
            ))).all())  # fmt: skip
        bare.append(time.perf_counter() - start)
    return full, bare


def _row(name: str, samples: list[float], base: list[float] | None = None) -> str:
    p50, p99 = _pct(samples, 50) * 1e3, _pct(samples, 99) * 1e3
    ratio = ""
    if base:
        ratio = f" | {p50 / (_pct(base, 50) * 1e3):.2f}x | {p99 / (_pct(base, 99) * 1e3):.2f}x"
    worst = max(samples) * 1e3
    return f"| {name} | {len(samples)} | {p50:.2f} ms | {p99:.2f} ms | {worst:.1f} ms{ratio} |"


async def run(url: str, events: int, clinicians: int, year_rows: int) -> None:
    now = datetime.now(UTC)
    db = Database(url)
    # The same file through connections that skip the fsync: what the disk costs.
    unsynced = Database(url, sqlite_synchronous="NORMAL") if url.startswith("sqlite") else None
    settings = Settings(database_url=url)
    try:
        institution_id, cred, accounts = await _seed(db, clinicians, now)
        rng = random.Random(1)
        bodies = [_event(i, clinicians, rng) for i in range(events)]
        statements = _Statements(db)
        # Interleave the sides in blocks so that none gets a warmer cache or a smaller table to
        # itself.
        intake_times: list[float] = []
        bare_times: list[float] = []
        unsynced_times: list[float] = []
        intake_statements = bare_statements = 0
        block = max(1, events // 20)
        for start in range(0, events, block):
            async with db.session() as session:
                before = (await session.exec(_COUNT_OFFERS)).one()
            counted = statements.count
            took = await _intake(db, settings, cred, bodies[start : start + block])
            intake_statements += statements.count - counted
            intake_times += took
            async with db.session() as session:
                after = (await session.exec(_COUNT_OFFERS)).one()
            # The same number of check-in rows as the intake wrote, spread over its events.
            added = after - before
            per_event = [added // len(took) + (i < added % len(took)) for i in range(len(took))]
            counted = statements.count
            bare_times += await _bare(db, institution_id, uuid.UUID(cred["id"]), accounts,
                                      per_event)  # fmt: skip
            bare_statements += statements.count - counted
            if unsynced is not None:
                unsynced_times += await _bare(unsynced, institution_id, uuid.UUID(cred["id"]),
                                              accounts, per_event)  # fmt: skip
        validation = _validation(bodies, settings.intake_max_participants)
        async with db.session() as session:
            scheduled = (await session.exec(select(sa.func.count()).select_from(CheckinOffer).where(
                CheckinOffer.status == CheckinStatus.SCHEDULED))).one()  # fmt: skip
        print(f"### Intake ({events:,} AdverseEvents, {clinicians:,} linked clinicians, "
              f"{Path(url).name if url.startswith('sqlite') else 'PostgreSQL'})\n")  # fmt: skip
        print("| path | events | p50 | p99 | max | p50 vs bare | p99 vs bare |")
        print("|---|---|---|---|---|---|---|")
        print(_row("intake (verify, validate, match, schedule)", intake_times, bare_times))
        print(_row("bare insert of the same rows", bare_times))
        if unsynced_times:
            print(_row("bare insert, synchronous=NORMAL (no fsync)", unsynced_times, bare_times))
        print(_row("FHIR validation alone (no I/O)", validation, bare_times))
        print(f"\nStatements per event (commit excluded): intake {intake_statements / events:.2f}, "
              f"bare insert {bare_statements / events:.2f}. {scheduled:,} check-in rows "
              "scheduled in all (every side); each event names four staff, two of them drawn "
              "from the linked clinicians.\n")  # fmt: skip

        other = uuid.uuid4()
        async with db.session() as session:
            network_id = (await session.exec(select(Network.id))).one()
            session.add(Institution(id=other, network_id=network_id, slug="bench-year",
                                    name="Year", created_at=now))  # fmt: skip
            await session.commit()
        await _year_of_data(db, other, year_rows, now)
        full, bare = await _dashboard(db, other, 30, now)
        print(f"### Dashboard query (a year: {year_rows:,} events and {year_rows:,} check-ins)\n")
        print("| query | runs | p50 | p99 | max | p50 vs bare | p99 vs bare |")
        print("|---|---|---|---|---|---|---|")
        print(_row("monthly_summary (5 counts, 12 months)", full, bare))
        print(_row("bare SELECT of one timestamp column", bare))
    finally:
        await db.dispose()
        if unsynced is not None:
            await unsynced.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    events, clinicians, year_rows = (500, 1000, 2000) if args.quick else (10_000, 10_000, 10_000)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench-checkins.db"
        migrate.upgrade(url)  # Alembic runs its own event loop: before ours
        asyncio.run(run(url, events, clinicians, year_rows))


if __name__ == "__main__":
    main()
