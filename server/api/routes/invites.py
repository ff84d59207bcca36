"""Invite codes, issued by institution and network admins."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts import invites
from server.accounts.roles import Role
from server.api.deps import Now, RequireRole, SessionDep, StateDep
from server.api.schemas import InviteCreate, InviteCreated, InviteOut
from server.api.views import invite_view
from server.db.models import Account
from server.moderation import audit
from server.moderation.rota import network_of

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["invites"])
Admin = Annotated[Account, Depends(RequireRole(Role.INSTITUTION_ADMIN, Role.NETWORK_ADMIN))]


async def _audit(
    session: AsyncSession, admin: Account, action: str, invite_id: uuid.UUID, now: datetime
) -> None:
    """Admin actions go to the audit log too (docs/moderation.md, "The audit log")."""
    network_id = await network_of(session, account=admin)
    await audit.append(session, action=action, network_id=network_id, actor_id=admin.id,
                       subject={"invite": invite_id}, now=now)  # fmt: skip


@router.post(
    "/institutions/{institution_id}/invites",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a single-use invite code (shown once)",
)
async def create_invite(
    institution_id: uuid.UUID,
    body: InviteCreate,
    admin: Admin,
    session: SessionDep,
    state: StateDep,
    now: Now,
) -> InviteCreated:
    hours = body.expires_in_hours or state.settings.invite_ttl_hours
    issued = await invites.create_invite(
        session,
        actor=admin,
        institution_id=institution_id,
        role=body.role,
        ttl=timedelta(hours=min(hours, state.settings.invite_ttl_hours)),
        now=now,
        max_open=state.settings.max_open_invites_per_institution,
    )
    await _audit(session, admin, "invite.created", issued.invite.id, now)
    await session.commit()
    view = invite_view(issued.invite, now=now)
    return InviteCreated(**view.model_dump(), code=issued.code)


@router.get("/institutions/{institution_id}/invites", summary="Invites of an institution")
async def list_invites(
    institution_id: uuid.UUID, admin: Admin, session: SessionDep, now: Now
) -> list[InviteOut]:
    found = await invites.list_invites(session, actor=admin, institution_id=institution_id)
    return [invite_view(invite, now=now) for invite in found]


@router.delete("/invites/{invite_id}", summary="Revoke an open invite")
async def revoke_invite(
    invite_id: uuid.UUID, admin: Admin, session: SessionDep, now: Now
) -> InviteOut:
    invite = await invites.revoke_invite(session, actor=admin, invite_id=invite_id, now=now)
    await _audit(session, admin, "invite.revoked", invite.id, now)
    await session.commit()
    return invite_view(invite, now=now)
