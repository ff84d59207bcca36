"""Federation for network admins: this node's identity, and the allow-list of peer nodes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from server.accounts import directory
from server.accounts.roles import Role
from server.api.deps import Now, RequireRole, SessionDep, StateDep, declares
from server.api.schemas_federation import NodeOut, PeerIn, PeerOut, PeersOut
from server.db.models import Account, FederationPeer
from server.federation import handshake, peering
from server.federation.node import node_document
from server.federation.states import PeerStatus

__all__ = ["peer_view", "router"]

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])
NetworkAdmin = Annotated[Account, Depends(RequireRole(Role.NETWORK_ADMIN))]


def peer_view(peer: FederationPeer) -> PeerOut:
    return PeerOut(
        id=peer.id,
        url=peer.url,
        fingerprint=peer.fingerprint,
        status=PeerStatus(peer.status),
        created_at=peer.created_at,
        updated_at=peer.updated_at,
        availability=peer.availability,
    )


async def _network_of(session: SessionDep, admin: Account) -> uuid.UUID:
    institution = await directory.get_institution(session, institution_id=admin.institution_id)
    return institution.network_id


@router.get("/peers", summary="This node's identity and the network's peer nodes")
async def list_peers(admin: NetworkAdmin, session: SessionDep, state: StateDep) -> PeersOut:
    network_id = await _network_of(session, admin)
    found = await peering.list_peers(session, network_id=network_id)
    return PeersOut(
        node=NodeOut(**node_document(state.federation.identity)),
        peers=[peer_view(p) for p in found],
    )


@router.post(
    "/peers",
    status_code=status.HTTP_201_CREATED,
    summary="Peer with a node by URL and pinned key fingerprint (active once both allow)",
)
@declares(503)  # the peer's well-known document is fetched first
async def add_peer(
    body: PeerIn, admin: NetworkAdmin, session: SessionDep, state: StateDep, now: Now
) -> PeerOut:
    network_id = await _network_of(session, admin)
    peer = await handshake.peer_with(
        state.db,
        state.federation.transport,
        network_id=network_id,
        url=body.url,
        fingerprint=body.fingerprint,
        now=now,
    )
    return peer_view(peer)


@router.delete("/peers/{peer_id}", summary="Revoke a peering (the peer is told, best effort)")
async def revoke_peer(
    peer_id: uuid.UUID, admin: NetworkAdmin, session: SessionDep, state: StateDep, now: Now
) -> PeerOut:
    network_id = await _network_of(session, admin)
    peer = await handshake.unpeer(
        state.db, state.federation.transport, network_id=network_id, peer_id=peer_id, now=now
    )
    return peer_view(peer)
