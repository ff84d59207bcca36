"""Table rows → API schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, cast

from sqlmodel.ext.asyncio.session import AsyncSession

from server import directory
from server.api.schemas import InviteOut, MeOut, OrgOut
from server.db.models import Account, Invite
from server.invites import invite_status
from server.roles import Role

__all__ = ["invite_view", "me_view"]

InviteStatus = Literal["open", "redeemed", "revoked", "expired"]


async def me_view(session: AsyncSession, *, account: Account) -> MeOut:
    institution = await directory.get_institution(session, institution_id=account.institution_id)
    network = await directory.get_network(session, network_id=institution.network_id)
    return MeOut(
        account_id=account.id,
        role=Role(account.role),
        institution=OrgOut(id=institution.id, slug=institution.slug, name=institution.name),
        network=OrgOut(id=network.id, slug=network.slug, name=network.name),
    )


def invite_view(invite: Invite, *, now: datetime) -> InviteOut:
    return InviteOut(
        id=invite.id,
        institution_id=invite.institution_id,
        role=Role(invite.role),
        status=cast(InviteStatus, invite_status(invite, now=now)),
        created_at=invite.created_at,
        expires_at=invite.expires_at,
    )
