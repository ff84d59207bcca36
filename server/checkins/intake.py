"""The signed intake: an institution's incident system posts FHIR R4 AdverseEvents.

One call does it all inside the caller's transaction, which commits only on success, so a
refused request changes nothing: verify the signature (`server.checkins.signatures`), spend the
nonce, read the event (`server.checkins.fhir`), refuse a duplicate event, keep a receipt, and
schedule a check-in for every linked clinician it names. Staff identifiers that match no link
are hashed in memory and dropped. The answer is the same however many matched: the institution
must not learn who linked.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.checkins import offers, signatures, teams
from server.checkins.credentials import usable_secret
from server.checkins.fhir import read_adverse_event
from server.checkins.keys import CheckinKeys
from server.checkins.signatures import SignedHeaders
from server.checkins.states import CheckinReason, IntakeResult
from server.config import Settings
from server.db.models import AdverseEventReceipt, IntakeNonce, IntegrationCredential, StaffLink
from server.errors import Conflict, InvalidInput, Unauthenticated

__all__ = [
    "IntakeResult",
    "authenticate",
    "purge_nonces",
    "receive_adverse_event",
    "receive_team_signals",
]

log = logging.getLogger(__name__)
_UNKNOWN = "the request signature is missing, malformed, stale or wrong"
_REPLAYED = "this signed request was already received"


async def authenticate(
    session: AsyncSession,
    *,
    headers: dict[str, str],
    body: bytes,
    keys: CheckinKeys,
    now: datetime,
    window: int,
) -> IntegrationCredential:
    """The credential that signed this request, its nonce now spent. Unauthenticated for a
    missing, malformed, unknown, revoked, stale or wrong signature (one answer for all), and for
    a nonce already used."""
    parts: SignedHeaders = signatures.parse_headers(headers)
    found = await usable_secret(session, credential_id=parts.credential_id, keys=keys)
    if found is None:
        raise Unauthenticated(_UNKNOWN)
    credential, secret = found
    signatures.check(secret, parts, body=body, now=now.timestamp(), window=window)
    seen = await session.get(IntakeNonce, (credential.id, parts.nonce))
    if seen is not None:
        raise Unauthenticated(_REPLAYED)
    # Kept a little past the window, so a request stamped at its edge cannot come back later.
    session.add(IntakeNonce(credential_id=credential.id, nonce=parts.nonce,
                            expires_at=now + timedelta(seconds=2 * window)))  # fmt: skip
    try:
        await session.flush()
    except IntegrityError:  # the same request, concurrently
        raise Unauthenticated(_REPLAYED) from None
    credential.last_used_at = now
    session.add(credential)
    return credential


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
    is a `duplicate` and schedules nothing."""
    credential = await authenticate(
        session, headers=headers, body=body, keys=keys, now=now,
        window=settings.intake_replay_window_seconds,
    )  # fmt: skip
    event = read_adverse_event(body, max_participants=settings.intake_max_participants)
    institution_id = credential.institution_id
    event_key = keys.event_key(institution_id, event.identity)
    existing = await session.exec(
        select(AdverseEventReceipt.id).where(
            AdverseEventReceipt.institution_id == institution_id,
            AdverseEventReceipt.event_key == event_key,
        )
    )
    if existing.first() is not None:
        return IntakeResult.DUPLICATE
    receipt = AdverseEventReceipt(institution_id=institution_id, event_key=event_key,
                                  received_at=now)  # fmt: skip
    session.add(receipt)
    try:
        await session.flush()
    except IntegrityError:  # the same event, concurrently, under another nonce
        raise Conflict("this event is being received by another request; send it again") from None
    hashes = {keys.staff_hash(institution_id, staff) for staff in event.staff_identifiers}
    linked = await session.exec(
        select(StaffLink.account_id).where(
            StaffLink.institution_id == institution_id, col(StaffLink.staff_hash).in_(hashes)
        )
    ) if hashes else None  # fmt: skip
    await offers.schedule(
        session,
        account_ids=list(linked.all()) if linked is not None else [],
        institution_id=institution_id,
        reason=CheckinReason.EVENT,
        event_date=event.occurred_on or now.date(),
        due_at=now + timedelta(seconds=settings.checkin_delay_seconds),
        now=now,
    )
    log.info("intake: event receipt %s for institution %s", receipt.id, institution_id)
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
    credential = await authenticate(
        session, headers=headers, body=body, keys=keys, now=now,
        window=settings.intake_replay_window_seconds,
    )  # fmt: skip
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput("the body is not JSON") from None
    await teams.receive_signals(session, institution_id=credential.institution_id, raw=raw,
                                keys=keys, settings=settings, now=now)  # fmt: skip
    log.info("intake: team signals for institution %s", credential.institution_id)
    return IntakeResult.ACCEPTED


async def purge_nonces(session: AsyncSession, *, now: datetime) -> int:
    """Forget nonces past their replay window."""
    result = await session.exec(sa.delete(IntakeNonce).where(col(IntakeNonce.expires_at) <= now))
    return int(result.rowcount or 0)
