"""Integration credentials: what an institution's incident system signs intake requests with.

Issued by an admin of the institution (the secret is returned once), listed without secrets,
revoked for good. Every function takes the caller's session and never commits.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto.encoding import b64encode
from server.accounts.invites import authorise_for_institution
from server.checkins.keys import CheckinKeys
from server.db.models import Account, IntegrationCredential
from server.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "IssuedCredential",
    "create_credential",
    "list_credentials",
    "revoke_credential",
]

_PREFIX = "phs_"


@dataclass(frozen=True, repr=False)
class IssuedCredential:
    """A credential as created: the only time its secret exists in clear. `repr` hides it."""

    credential: IntegrationCredential
    secret: str

    def __repr__(self) -> str:
        return f"IssuedCredential(id={self.credential.id}, secret=<redacted>)"


def _fingerprint(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def create_credential(
    session: AsyncSession,
    *,
    actor: Account | None,
    institution_id: uuid.UUID,
    label: str,
    keys: CheckinKeys,
    now: datetime,
    max_active: int,
) -> IssuedCredential:
    """A new credential for the institution. Forbidden unless `actor` administers it (None: the
    operator's CLI); InvalidInput for a bad label; Conflict past `max_active` live credentials."""
    await authorise_for_institution(session, actor=actor, institution_id=institution_id)
    label = label.strip()
    if not 1 <= len(label) <= 100 or not label.isprintable():
        raise InvalidInput("label must be 1-100 printable characters")
    active = (
        await session.exec(
            select(func.count())
            .select_from(IntegrationCredential)
            .where(
                IntegrationCredential.institution_id == institution_id,
                col(IntegrationCredential.revoked_at).is_(None),
            )
        )
    ).one()
    if active >= max_active:
        raise Conflict(f"this institution already has {active} active integration credentials")
    secret = _PREFIX + b64encode(secrets.token_bytes(32))
    credential_id = uuid.uuid4()
    credential = IntegrationCredential(
        id=credential_id,
        institution_id=institution_id,
        label=label,
        sealed_secret=keys.seal(credential_id, secret.encode()),
        fingerprint=_fingerprint(secret),
        created_by=actor.id if actor else None,
        created_at=now,
    )
    session.add(credential)
    await session.flush()
    return IssuedCredential(credential=credential, secret=secret)


async def list_credentials(
    session: AsyncSession, *, actor: Account, institution_id: uuid.UUID
) -> list[IntegrationCredential]:
    await authorise_for_institution(session, actor=actor, institution_id=institution_id)
    query = (
        select(IntegrationCredential)
        .where(IntegrationCredential.institution_id == institution_id)
        .order_by(col(IntegrationCredential.created_at).desc())
    )
    return list((await session.exec(query)).all())


async def revoke_credential(
    session: AsyncSession, *, actor: Account, credential_id: uuid.UUID, now: datetime
) -> IntegrationCredential:
    """Revoke for good. NotFound for an unknown id, Forbidden for another institution's,
    Conflict when already revoked."""
    credential = await session.get(IntegrationCredential, credential_id)
    if credential is None:
        raise NotFound("no such integration credential")
    await authorise_for_institution(session, actor=actor, institution_id=credential.institution_id)
    if credential.revoked_at is not None:
        raise Conflict("the integration credential is already revoked")
    credential.revoked_at = now
    session.add(credential)
    await session.flush()
    return credential
