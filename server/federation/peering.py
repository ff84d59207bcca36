"""The allow-list of peer nodes, the mutual handshake, and who signed an inbound request.

Peering is mutual: a node accepts signed requests only from a node its own admin allowed (by URL
and pinned fingerprint), and a peering becomes `active` only when the peer's signed handshake
(or its answer to ours) proves that the peer allows this node too. Either side revokes alone.

The handshake also checks that no institution exists on both nodes: each side sends keyed
digests of its institution slugs (keyed by both fingerprints, so the digests mean nothing to a
third node), and an overlap refuses the peering. So "other institution" holds across nodes by
construction. Functions take the caller's session and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts import directory
from server.db.models import FederationNonce, FederationPeer, Institution
from server.errors import Conflict, Forbidden, NotFound
from server.federation.signatures import SignatureRefused, Verified, verify_request
from server.federation.states import PEER, PeerStatus

__all__ = [
    "active_peers",
    "allow_peer",
    "authenticate",
    "confirm",
    "get_peer",
    "institution_digests",
    "list_peers",
    "overlapping",
    "revoke",
    "revoke_by_peer",
    "stand_in_institutions",
    "sweep_nonces",
]

_KEYID = re.compile(r'keyid="([0-9a-f]{64})"')


async def allow_peer(
    session: AsyncSession,
    *,
    network_id: uuid.UUID,
    url: str,
    fingerprint: str,
    public_key: bytes,
    now: datetime,
) -> FederationPeer:
    """Allow the node at `url` whose key (already checked against `fingerprint`) is
    `public_key`, for `network_id`. It starts `pending`. Conflict when the URL or key is already
    allowed (and not revoked) or is this node's own."""
    found = (
        await session.exec(
            select(FederationPeer).where(
                sa.or_(
                    col(FederationPeer.url) == url, col(FederationPeer.fingerprint) == fingerprint
                )
            )
        )
    ).all()
    live = [p for p in found if p.status != PeerStatus.REVOKED]
    if live:
        raise Conflict("this node is already in the allow-list")
    if len(found) > 1:
        raise Conflict("this URL and this key belong to two different revoked peers")
    if found:  # peering again after a revocation: start over with the fresh pin
        (peer,) = found
        peer.status = PEER(PeerStatus(peer.status), PeerStatus.PENDING)
        peer.url, peer.fingerprint, peer.public_key = url, fingerprint, public_key
        peer.network_id, peer.updated_at = network_id, now
        session.add(peer)
        await session.flush()
        return peer
    shadow = await directory.create_institution(
        session,
        network_id=network_id,
        slug=f"peer-node-{fingerprint[:16]}",
        name="Peer node (federated supporters)",
        now=now,
    )
    peer = FederationPeer(
        network_id=network_id,
        url=url,
        fingerprint=fingerprint,
        public_key=public_key,
        status=PeerStatus.PENDING,
        shadow_institution_id=shadow.id,
        created_at=now,
        updated_at=now,
    )
    session.add(peer)
    await session.flush()
    return peer


async def list_peers(session: AsyncSession, *, network_id: uuid.UUID) -> list[FederationPeer]:
    query = (
        select(FederationPeer)
        .where(FederationPeer.network_id == network_id)
        .order_by(col(FederationPeer.created_at))
    )
    return list((await session.exec(query)).all())


async def active_peers(session: AsyncSession) -> list[FederationPeer]:
    query = select(FederationPeer).where(FederationPeer.status == PeerStatus.ACTIVE)
    return list((await session.exec(query.order_by(col(FederationPeer.created_at)))).all())


async def get_peer(
    session: AsyncSession, *, peer_id: uuid.UUID, network_id: uuid.UUID | None = None
) -> FederationPeer:
    """NotFound for an unknown id, or one of another network."""
    peer = await session.get(FederationPeer, peer_id)
    if peer is None or (network_id is not None and peer.network_id != network_id):
        raise NotFound("no such peer")
    return peer


async def _move(
    session: AsyncSession, peer: FederationPeer, new: PeerStatus, now: datetime
) -> bool:
    """Guarded status move; False when a concurrent move got there first."""
    old = PeerStatus(peer.status)
    moved = await session.exec(
        sa.update(FederationPeer)
        .where(col(FederationPeer.id) == peer.id, col(FederationPeer.status) == old)
        .values(status=PEER(old, new), updated_at=now)
    )
    await session.refresh(peer)
    return bool(moved.rowcount == 1)


async def revoke(
    session: AsyncSession, *, network_id: uuid.UUID, peer_id: uuid.UUID, now: datetime
) -> FederationPeer:
    """Revoke a peering (idempotent). From now on every request it signs is refused."""
    peer = await get_peer(session, peer_id=peer_id, network_id=network_id)
    if peer.status != PeerStatus.REVOKED:
        await _move(session, peer, PeerStatus.REVOKED, now)
    return peer


async def revoke_by_peer(session: AsyncSession, *, peer: FederationPeer, now: datetime) -> None:
    """The peer revoked us: mirror it, so neither side keeps a half-open peering."""
    if peer.status != PeerStatus.REVOKED:
        await _move(session, peer, PeerStatus.REVOKED, now)


async def stand_in_institutions(session: AsyncSession) -> set[uuid.UUID]:
    """The institutions that only stand for peer nodes' people (one per peer ever allowed,
    revoked ones included): no network's own institutions."""
    return set((await session.exec(select(FederationPeer.shadow_institution_id))).all())


async def institution_digests(session: AsyncSession, *, ours: str, theirs: str) -> list[str]:
    """Keyed digests of this node's real institutions (peer stand-ins excluded)."""
    key = hashlib.sha256("".join(sorted((ours, theirs))).encode()).digest()
    shadows = select(FederationPeer.shadow_institution_id)
    rows = await session.exec(select(Institution.slug).where(col(Institution.id).not_in(shadows)))
    return sorted(hmac.new(key, slug.encode(), hashlib.sha256).hexdigest() for slug in rows.all())


def overlapping(ours: Sequence[str], theirs: Sequence[str]) -> bool:
    return bool(set(ours) & set(theirs))


async def confirm(
    session: AsyncSession,
    *,
    peer: FederationPeer,
    ours: Sequence[str],
    theirs: Sequence[str],
    now: datetime,
) -> FederationPeer:
    """The peer allows us too: `pending` → `active`. Conflict when an institution exists on
    both nodes (nothing changes then); idempotent for an active peer."""
    if overlapping(ours, theirs):
        raise Conflict("an institution exists on both nodes; peering refused")
    if peer.status == PeerStatus.PENDING:
        await _move(session, peer, PeerStatus.ACTIVE, now)
    return peer


async def authenticate(
    session: AsyncSession,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    window: timedelta,
    pending_ok: bool = False,
) -> FederationPeer:
    """The peer that signed this request, after every check; the nonce is then spent.

    SignatureRefused (401): no or malformed signature, an unknown or unpinned key, a stale
    `created`, a tampered method, URI or body, or a nonce seen before (a replay). Forbidden
    (403): the peering is revoked, or (unless `pending_ok`) not yet confirmed. Only the nonce
    is written, and only for a request that passed every other check.
    """
    match = _KEYID.search(headers.get("signature-input", ""))
    peer = None
    if match is not None:
        query = select(FederationPeer).where(FederationPeer.fingerprint == match.group(1))
        peer = (await session.exec(query)).first()
    pinned = peer

    def key_for(keyid: str) -> bytes | None:
        return pinned.public_key if pinned is not None and pinned.fingerprint == keyid else None

    verified: Verified = verify_request(
        method=method,
        url=url,
        headers=headers,
        body=body,
        key_for=key_for,
        now=now,
        window=window,
    )
    assert peer is not None and peer.fingerprint == verified.keyid
    if peer.status == PeerStatus.REVOKED:
        raise Forbidden("this node revoked the peering")
    if peer.status != PeerStatus.ACTIVE and not pending_ok:
        raise Forbidden("the peering is not confirmed by both nodes yet")
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    spent = await session.exec(
        insert(FederationNonce)
        .values(peer_id=peer.id, nonce=verified.nonce, seen_at=now)
        .on_conflict_do_nothing()
    )
    if spent.rowcount != 1:
        raise SignatureRefused("this signature was used before (replay)")
    return peer


async def sweep_nonces(session: AsyncSession, *, now: datetime, window: timedelta) -> int:
    """Forget nonces older than twice the window: their signatures are refused as stale anyway."""
    dropped = await session.exec(
        sa.delete(FederationNonce).where(col(FederationNonce.seen_at) < now - 2 * window)
    )
    return int(dropped.rowcount)
