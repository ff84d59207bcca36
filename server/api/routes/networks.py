"""The caller's network, for network admins: its own institutions (peer-node stand-ins left out)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from server.accounts import directory
from server.accounts.roles import Role
from server.api.deps import RequireRole, SessionDep
from server.api.schemas import NetworkOut, OrgOut
from server.db.models import Account
from server.federation import peering

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["networks"])
NetworkAdmin = Annotated[Account, Depends(RequireRole(Role.NETWORK_ADMIN))]


@router.get("/network", summary="The caller's network and its own institutions")
async def my_network(admin: NetworkAdmin, session: SessionDep) -> NetworkOut:
    institution = await directory.get_institution(session, institution_id=admin.institution_id)
    network = await directory.get_network(session, network_id=institution.network_id)
    members = await directory.list_institutions(session, network_id=network.id)
    # A peer node's stand-in institution holds only its remote people's stand-in accounts.
    stand_ins = await peering.stand_in_institutions(session)
    return NetworkOut(
        id=network.id,
        slug=network.slug,
        name=network.name,
        institutions=[
            OrgOut(id=i.id, slug=i.slug, name=i.name) for i in members if i.id not in stand_ins
        ],
    )
