"""Peering as an admin does it: pin, fetch, allow, then say hello (signed) to the peer.

    admin on A: peer_with(B url, B fingerprint)
        A fetches B's well-known document; the key must match the pinned fingerprint
        A allows B (pending), then POST B/federation/v1/peering, signed by A
            B refuses (401) while B's admin has not allowed A: A stays pending
            B answers 200 with its institution digests: both are active
    admin on B, later: the same the other way round, and A answers 200.

Revoking is local first (committed before anyone is told), then a signed best-effort
`DELETE /federation/v1/peering` lets the peer mirror it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from server.db.engine import Database
from server.db.models import FederationPeer
from server.errors import Conflict, InvalidInput, ServiceError
from server.federation import peering
from server.federation.node import normalise_fingerprint, normalise_url
from server.federation.states import PeerStatus
from server.federation.transport import Transport

__all__ = ["PEERING_PATH", "hello", "peer_with", "unpeer"]

log = logging.getLogger(__name__)
PEERING_PATH = "/federation/v1/peering"


async def peer_with(
    db: Database,
    transport: Transport,
    *,
    network_id: uuid.UUID,
    url: str,
    fingerprint: str,
    now: datetime,
) -> FederationPeer:
    """Allow the node at `url` pinned to `fingerprint`, and try the handshake.

    InvalidInput for a malformed URL or fingerprint, this node's own, or a document that does
    not match the pin; Unavailable when the node cannot be reached (nothing is stored then);
    Conflict when it is already allowed, or an institution exists on both nodes.
    """
    url, fingerprint = normalise_url(url), normalise_fingerprint(fingerprint)
    me = transport.identity
    if url == me.name or fingerprint == me.fingerprint:
        raise InvalidInput("that is this node")
    key = await transport.fetch_key(url, pinned=fingerprint)
    async with db.session() as session:
        peer = await peering.allow_peer(
            session,
            network_id=network_id,
            url=url,
            fingerprint=fingerprint,
            public_key=key,
            now=now,
        )
        await session.commit()
        peer_id = peer.id
    return await hello(db, transport, peer_id=peer_id, now=now)


async def hello(
    db: Database, transport: Transport, *, peer_id: uuid.UUID, now: datetime
) -> FederationPeer:
    """Send the signed handshake to a pending peer; activate it when the peer answers that it
    allows us. Conflict (and the peering revoked here) when an institution is on both nodes."""
    async with db.session() as session:
        peer = await peering.get_peer(session, peer_id=peer_id)
        ours = await peering.institution_digests(
            session, ours=transport.identity.fingerprint, theirs=peer.fingerprint
        )
        url = peer.url
    try:
        answer = await transport.call(
            url, "POST", PEERING_PATH, {"node": transport.identity.name, "institutions": ours}
        )
    except ServiceError:
        answer = None
    async with db.session() as session:
        peer = await peering.get_peer(session, peer_id=peer_id)
        if answer is not None and answer.ok and answer.body.get("node") == peer.url:
            theirs = [str(d) for d in answer.body.get("institutions", [])]
            if peering.overlapping(ours, theirs):
                await peering.revoke_by_peer(session, peer=peer, now=now)
                await session.commit()
                raise Conflict("an institution exists on both nodes; peering refused")
            await peering.confirm(session, peer=peer, ours=ours, theirs=theirs, now=now)
        elif answer is not None and answer.status == 409:
            await peering.revoke_by_peer(session, peer=peer, now=now)
            await session.commit()
            raise Conflict("the peer refused: an institution exists on both nodes")
        else:
            log.info("peer %s does not allow this node yet (pending)", peer_id)
        await session.commit()
        await session.refresh(peer)
        return peer


async def unpeer(
    db: Database,
    transport: Transport,
    *,
    network_id: uuid.UUID,
    peer_id: uuid.UUID,
    now: datetime,
) -> FederationPeer:
    """Revoke here (committed first), then tell the peer, best effort."""
    async with db.session() as session:
        peer = await peering.revoke(session, network_id=network_id, peer_id=peer_id, now=now)
        await session.commit()
        url = peer.url
    assert peer.status == PeerStatus.REVOKED
    try:
        await transport.call(url, "DELETE", PEERING_PATH)
    except ServiceError:
        log.info("peer %s was not told of the revocation (unreachable)", peer_id)
    return peer
