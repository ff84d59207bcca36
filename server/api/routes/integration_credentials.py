"""Integration credentials, issued and revoked by the institution's admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from server.accounts.roles import Role
from server.api.deps import CheckinKeysDep, Now, RequireRole, SessionDep, StateDep
from server.api.schemas_checkins import CredentialCreate, CredentialCreated, CredentialOut
from server.checkins import credentials
from server.db.models import Account, IntegrationCredential

__all__ = ["credential_view", "router"]

router = APIRouter(prefix="/api/v1", tags=["check-ins"])
Admin = Annotated[Account, Depends(RequireRole(Role.INSTITUTION_ADMIN, Role.NETWORK_ADMIN))]


def credential_view(credential: IntegrationCredential) -> CredentialOut:
    return CredentialOut(
        id=credential.id,
        institution_id=credential.institution_id,
        label=credential.label,
        fingerprint=credential.fingerprint.hex()[:16],
        created_at=credential.created_at,
        last_used_at=credential.last_used_at,
        revoked_at=credential.revoked_at,
    )


@router.post(
    "/institutions/{institution_id}/integration-credentials",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a credential for the incident system (the secret is shown once)",
)
async def create_credential(
    institution_id: uuid.UUID,
    body: CredentialCreate,
    admin: Admin,
    session: SessionDep,
    state: StateDep,
    keys: CheckinKeysDep,
    now: Now,
) -> CredentialCreated:
    issued = await credentials.create_credential(
        session, actor=admin, institution_id=institution_id, label=body.label, keys=keys,
        now=now, max_active=state.settings.max_integration_credentials,
    )  # fmt: skip
    await session.commit()
    view = credential_view(issued.credential)
    return CredentialCreated(**view.model_dump(), secret=issued.secret)


@router.get(
    "/institutions/{institution_id}/integration-credentials",
    summary="An institution's integration credentials (never their secrets)",
)
async def list_credentials(
    institution_id: uuid.UUID, admin: Admin, session: SessionDep
) -> list[CredentialOut]:
    found = await credentials.list_credentials(session, actor=admin, institution_id=institution_id)
    return [credential_view(credential) for credential in found]


@router.delete("/integration-credentials/{credential_id}", summary="Revoke a credential for good")
async def revoke_credential(
    credential_id: uuid.UUID, admin: Admin, session: SessionDep, now: Now
) -> CredentialOut:
    credential = await credentials.revoke_credential(
        session, actor=admin, credential_id=credential_id, now=now
    )
    await session.commit()
    return credential_view(credential)
