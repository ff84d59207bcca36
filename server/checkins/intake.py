"""The signed intake: an institution's incident system posts FHIR R4 AdverseEvents.

One call does it all inside the caller's transaction, which commits only on success, so a
refused request changes nothing: verify the signature (`server.checkins.signatures`), read the
event (`server.checkins.fhir`), then write — spend the nonce, keep a receipt (a duplicate event
schedules nothing), and schedule a check-in for every linked clinician it names. Staff
identifiers that match no link are hashed in memory and dropped. The answer is the same however
many matched: the institution must not learn who linked.

Cost (see docs/performance.md, Check-ins): everything that needs no database — the signature,
the FHIR validation, the keyed hashes — runs before the first write, so the write lock is held
only for the writes; and an event costs at most five statements and one commit: read the
credential, insert the nonce and the receipt (each `ON CONFLICT DO NOTHING`, so a replay or a
duplicate is told by the row count, not by a read first), find the linked clinicians with no
open check-in (one query), insert their check-ins (one executemany).
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.checkins import offers, signatures, teams
from server.checkins.fhir import read_adverse_event
from server.checkins.keys import CheckinKeys
from server.checkins.signatures import SignedHeaders
from server.checkins.states import CheckinReason, IntakeResult
from server.config import Settings
from server.db.models import AdverseEventReceipt, IntakeNonce, IntegrationCredential, table_of
from server.errors import InvalidInput, Unauthenticated

__all__ = [
    "LAST_USED_STEP",
    "IntakeResult",
    "authenticate",
    "purge_nonces",
    "receive_adverse_event",
    "receive_team_signals",
]

log = logging.getLogger(__name__)
_UNKNOWN = "the request signature is missing, malformed, stale or wrong"
_REPLAYED = "this signed request was already received"
# A credential's "last used" is kept to this step, not to the request: writing it on every
# request would be one more statement per event and, on PostgreSQL, a row every concurrent
# intake of that credential would queue on.
LAST_USED_STEP = timedelta(minutes=1)


@functools.cache
def _credential_query() -> sa.Select[Any]:
    table = table_of(IntegrationCredential)
    return sa.select(
        table.c.institution_id, table.c.sealed_secret, table.c.revoked_at, table.c.last_used_at
    ).where(table.c.id == sa.bindparam("credential_id"))


@functools.cache
def _inserts(dialect: str) -> tuple[Any, Any]:
    """INSERT … ON CONFLICT DO NOTHING for the nonce and the receipt, built once per backend."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table_of(IntakeNonce)).on_conflict_do_nothing(),
        insert(table_of(AdverseEventReceipt)).on_conflict_do_nothing(),
    )


@dataclass(frozen=True, repr=False)
class _Verified:
    """A request whose signature checked out; nothing written yet. `repr` hides the parts."""

    credential_id: uuid.UUID
    institution_id: uuid.UUID
    nonce: str
    touch: bool  # whether "last used" is a step behind


async def _verify(
    connection: AsyncConnection,
    *,
    headers: dict[str, str],
    body: bytes,
    keys: CheckinKeys,
    now: datetime,
    window: int,
) -> _Verified:
    parts: SignedHeaders = signatures.parse_headers(headers)
    row = (await connection.execute(
        _credential_query(), {"credential_id": parts.credential_id}
    )).first()  # fmt: skip
    if row is None or row.revoked_at is not None:
        raise Unauthenticated(_UNKNOWN)
    secret = keys.unseal(parts.credential_id, row.sealed_secret).decode()
    signatures.check(secret, parts, body=body, now=now.timestamp(), window=window)
    touch = row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP
    return _Verified(parts.credential_id, row.institution_id, parts.nonce, touch)


async def _spend(connection: AsyncConnection, verified: _Verified, *, now: datetime,
                 window: int) -> None:  # fmt: skip
    """Spend the nonce (Unauthenticated if it was spent before) and mark the credential used."""
    nonce_insert, _ = _inserts(connection.dialect.name)
    # Kept a little past the window, so a request stamped at its edge cannot come back later.
    spent = await connection.execute(nonce_insert, {
        "credential_id": verified.credential_id, "nonce": verified.nonce,
        "expires_at": now + timedelta(seconds=2 * window),
    })  # fmt: skip
    # Zero rows: spent before, or by a concurrent request that committed first (PostgreSQL waits
    # for it, then skips the row; SQLite serialises writers).
    if spent.rowcount != 1:
        raise Unauthenticated(_REPLAYED)
    if verified.touch:
        table = table_of(IntegrationCredential)
        await connection.execute(
            sa.update(table).where(table.c.id == verified.credential_id).values(last_used_at=now)
        )


async def authenticate(
    session: AsyncSession,
    *,
    headers: dict[str, str],
    body: bytes,
    keys: CheckinKeys,
    now: datetime,
    window: int,
) -> uuid.UUID:
    """The institution whose credential signed this request, its nonce now spent.
    Unauthenticated for a missing, malformed, unknown, revoked, stale or wrong signature (one
    answer for all), and for a nonce already used."""
    connection = await session.connection()
    verified = await _verify(connection, headers=headers, body=body, keys=keys, now=now,
                             window=window)  # fmt: skip
    await _spend(connection, verified, now=now, window=window)
    return verified.institution_id


async def receive_adverse_event(
    session: AsyncSession,
    *,
    headers: dict[str, str],
    body: bytes,
    keys: CheckinKeys,
    settings: Settings,
    now: datetime,
) -> IntakeResult:
    """Take one signed AdverseEvent. Raises Unauthenticated (see `authenticate`) or
    InvalidInput (not an R4 AdverseEvent; never quoting it). A re-sent event (same identifier)
    is a `duplicate` and schedules nothing; so is one a concurrent request is receiving."""
    window = settings.intake_replay_window_seconds
    connection = await session.connection()
    verified = await _verify(connection, headers=headers, body=body, keys=keys, now=now,
                             window=window)  # fmt: skip
    # Pure work first (only a signed body gets this far): validation, then the keyed hashes.
    event = read_adverse_event(body, max_participants=settings.intake_max_participants)
    institution_id = verified.institution_id
    event_key = keys.event_key(institution_id, event.identity)
    hashes = {keys.staff_hash(institution_id, staff) for staff in event.staff_identifiers}
    await _spend(connection, verified, now=now, window=window)
    receipt_id = uuid.uuid4()
    _, receipt_insert = _inserts(connection.dialect.name)
    kept = await connection.execute(receipt_insert, {
        "id": receipt_id, "institution_id": institution_id, "event_key": event_key,
        "received_at": now,
    })  # fmt: skip
    if kept.rowcount != 1:
        return IntakeResult.DUPLICATE
    await offers.schedule_staff(
        session,
        staff_hashes=hashes,
        institution_id=institution_id,
        reason=CheckinReason.EVENT,
        event_date=event.occurred_on or now.date(),
        due_at=now + timedelta(seconds=settings.checkin_delay_seconds),
        now=now,
    )
    log.info("intake: event receipt %s for institution %s", receipt_id, institution_id)
    return IntakeResult.ACCEPTED


async def receive_team_signals(
    session: AsyncSession,
    *,
    headers: dict[str, str],
    body: bytes,
    keys: CheckinKeys,
    settings: Settings,
    now: datetime,
) -> IntakeResult:
    """Take one signed week of team load signals (format: `server.checkins.teams`). Raises
    Unauthenticated, InvalidInput, or Conflict when that week was already posted."""
    institution_id = await authenticate(
        session, headers=headers, body=body, keys=keys, now=now,
        window=settings.intake_replay_window_seconds,
    )  # fmt: skip
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput("the body is not JSON") from None
    await teams.receive_signals(session, institution_id=institution_id, raw=raw,
                                keys=keys, settings=settings, now=now)  # fmt: skip
    log.info("intake: team signals for institution %s", institution_id)
    return IntakeResult.ACCEPTED


async def purge_nonces(session: AsyncSession, *, now: datetime) -> int:
    """Forget nonces past their replay window."""
    result = await session.exec(sa.delete(IntakeNonce).where(col(IntakeNonce.expires_at) <= now))
    return int(result.rowcount or 0)
