"""Cross-node rooms: one conversation, a room on each node, each node holding its own member.

The serving node creates the room when its supporter accepts (the ordinary `create_room`, with
the stand-in requester); `share` queues `request.accepted` with the room id, both room-scoped
member ids, pseudonyms, specialty labels and experience bands. The home node `mirror`s it with
the same ids, its requester and a stand-in supporter, so envelopes (which name room and sender
member) mean the same on both nodes. Room identities, new prekeys, leave, close and block are
queued as events too (`on_identity`, `on_prekeys`, `on_closed`, `on_moderator_closed`); prekey
bundles are fetched live from the peer (`fetch_bundle`). What crosses is room-scoped, never an
account, device key or institution.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto.encoding import b64encode
from server.accounts.roles import Role
from server.db.models import (
    Block,
    FederatedRequest,
    FederationPeer,
    Room,
    RoomMember,
    SupportRequest,
)
from server.errors import Conflict, InvalidInput, NotFound, ServiceError, Unavailable
from server.federation import forwarding, outbox, remote
from server.federation.gateway import Gateway
from server.federation.states import FORWARD, ForwardStatus
from server.rooms.rooms import Membership
from server.rooms.states import MemberRole
from server.support.states import REQUEST, RequestStatus

__all__ = [
    "BUNDLE_PATH",
    "fetch_bundle",
    "mirror",
    "on_closed",
    "on_identity",
    "on_moderator_closed",
    "on_prekeys",
    "remote_peer",
    "share",
]

BUNDLE_PATH = "/federation/v1/rooms/{room_id}/bundle"
ACCEPTED, IDENTITY, PREKEYS, CLOSED = (
    "request.accepted",
    "member.identity",
    "member.prekeys",
    "room.closed",
)


def _member_view(member: RoomMember) -> dict[str, str]:
    return {
        "member": str(member.id),
        "handle": member.handle,
        "specialty_label": member.specialty_label,
        "band": member.experience_band,
    }


async def remote_peer(session: AsyncSession, found: Membership) -> FederationPeer | None:
    """The peer node of a room whose other member is a stand-in; None for a local room."""
    return await remote.peer_of_account(session, found.peer.account_id)


async def share(session: AsyncSession, *, found: Membership, now: datetime) -> bool:
    """After a supporter accepted a stand-in's request: queue the room for its home node."""
    peer = await remote_peer(session, found)
    if peer is None:
        return False
    token = (
        await session.exec(
            select(FederatedRequest.token).where(
                FederatedRequest.request_id == found.room.request_id, FederatedRequest.inbound
            )
        )
    ).first()
    if token is None:
        return False
    await outbox.enqueue(
        session,
        peer_id=peer.id,
        kind=ACCEPTED,
        now=now,
        payload={
            "token": token,
            "room": str(found.room.id),
            "topics": list(found.room.topics),
            "requester": _member_view(found.peer),
            "supporter": _member_view(found.me),
        },
    )
    return True


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise InvalidInput("a room event field is malformed")
    return value


async def mirror(
    session: AsyncSession, *, peer: FederationPeer, payload: dict[str, Any], now: datetime
) -> list[tuple[uuid.UUID, str, uuid.UUID]] | None:
    """Apply `request.accepted` on the home node. Returns (account, kind, id) notifications;
    None when the answer came too late (the request expired or was cancelled meanwhile): then
    nothing changes here but a `room.closed` queued back, so the peer's room ends too."""
    forwarded = await forwarding.outbound(session, peer=peer, token=payload.get("token"))
    request = None if forwarded is None else await session.get(SupportRequest, forwarded.request_id)
    if forwarded is None or request is None:
        raise NotFound("no such forwarded request")
    try:
        room_id = uuid.UUID(_text(payload.get("room"), 36))
        sides = {role: payload[role] for role in ("requester", "supporter")}
        ids = {role: uuid.UUID(_text(side["member"], 36)) for role, side in sides.items()}
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("a room event field is malformed") from None
    existing = await session.get(Room, room_id)
    if existing is not None:
        if existing.request_id == request.id:
            return []  # applied before
        raise Conflict("that room id is taken")
    if forwarded.status != ForwardStatus.WAITING or request.status != RequestStatus.OFFERED:
        await outbox.enqueue(
            session,
            peer_id=peer.id,
            kind=CLOSED,
            now=now,
            payload={"room": str(room_id), "member": str(ids["requester"]), "left": True},
        )
        return None
    forwarded.status = FORWARD(ForwardStatus.WAITING, ForwardStatus.ANSWERED)
    session.add(forwarded)
    supporter = sides["supporter"]
    stand_in = await remote.create_stand_in(
        session,
        peer=peer,
        role=Role.SUPPORTER,
        specialty=None,
        band=_text(supporter.get("band"), 32),
        languages=[],
        now=now,
    )
    room = Room(id=room_id, request_id=request.id, topics=list(request.topics), created_at=now)
    session.add(room)
    await session.flush()
    for role, account_id in (
        (MemberRole.REQUESTER, request.requester_id),
        (MemberRole.SUPPORTER, stand_in.id),
    ):
        side = sides[role.value]
        session.add(
            RoomMember(
                id=ids[role.value],
                room_id=room_id,
                account_id=account_id,
                role=role,
                handle=_text(side.get("handle"), 64),
                specialty_label=_text(side.get("specialty_label"), 200),
                experience_band=_text(side.get("band"), 32),
            )
        )
    request.status = REQUEST(RequestStatus.OFFERED, RequestStatus.MATCHED)
    request.open_for, request.updated_at = None, now
    session.add(request)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("those member ids are taken") from None
    return [(request.requester_id, "request", request.id), (request.requester_id, "room", room_id)]


async def on_identity(session: AsyncSession, *, found: Membership, now: datetime) -> None:
    peer = await remote_peer(session, found)
    if peer is not None and found.me.identity_key is not None:
        key = b64encode(found.me.identity_key)
        await outbox.enqueue(
            session,
            peer_id=peer.id,
            kind=IDENTITY,
            now=now,
            payload={
                "room": str(found.room.id),
                "member": str(found.me.id),
                "identity_key": key,
            },
        )


async def on_prekeys(session: AsyncSession, *, found: Membership, now: datetime) -> None:
    peer = await remote_peer(session, found)
    if peer is not None:
        await outbox.enqueue(
            session,
            peer_id=peer.id,
            kind=PREKEYS,
            now=now,
            payload={"room": str(found.room.id), "member": str(found.me.id)},
        )


async def on_closed(
    session: AsyncSession, *, found: Membership, left: bool, limit: int, now: datetime
) -> None:
    """Queue the close after every envelope already accepted in the room (drained first).
    A block by the closing member says so (`blocked`): the peer keeps it for later requests
    (`server.federation.blocks`)."""
    peer = await remote_peer(session, found)
    if peer is not None:
        block = await session.get(Block, (found.me.account_id, found.peer.account_id))
        await _queue_close(
            session, peer=peer, room_id=found.room.id, member=found.me, now=now, limit=limit,
            left=left, blocked=block is not None,
        )  # fmt: skip


async def _queue_close(
    session: AsyncSession,
    *,
    peer: FederationPeer,
    room_id: uuid.UUID,
    member: RoomMember,
    now: datetime,
    limit: int,
    left: bool,
    blocked: bool = False,
) -> None:
    await outbox.drain(session, peer_id=peer.id, limit=limit, now=now)
    payload: dict[str, Any] = {"room": str(room_id), "member": str(member.id), "left": left}
    if blocked:
        payload["blocked"] = True
    await outbox.enqueue(session, peer_id=peer.id, kind=CLOSED, now=now, payload=payload)


async def on_moderator_closed(
    session: AsyncSession, *, room_id: uuid.UUID, now: datetime, limit: int
) -> bool:
    """A moderator here closed a room (`moderation.actions.close_flagged_room`): when it is a
    cross-node room, queue the close for the peer node, in the caller's transaction, after the
    envelopes already accepted. True when there was a peer to tell."""
    members = (await session.exec(select(RoomMember).where(RoomMember.room_id == room_id))).all()
    for stand_in in members:
        peer = await remote.peer_of_account(session, stand_in.account_id)
        local = next((m for m in members if m.id != stand_in.id), None)
        if peer is not None and local is not None:
            await _queue_close(session, peer=peer, room_id=room_id, member=local, now=now,
                               limit=limit, left=False)  # fmt: skip
            return True
    return False


async def fetch_bundle(
    gateway: Gateway, *, peer: FederationPeer, found: Membership
) -> dict[str, Any]:
    """The remote member's prekey bundle, claimed on their node for the caller's member.

    Unavailable when the peer cannot be reached; Conflict when it has no bundle (yet); and
    Conflict when the bundle's identity key is not the one the peer announced (a pinned key
    never silently changes)."""
    try:
        answer = await gateway.transport.call(
            peer.url,
            "POST",
            BUNDLE_PATH.format(room_id=found.room.id),
            {"member": str(found.me.id)},
        )
    except ServiceError:
        raise Unavailable("the peer's node did not answer; try again") from None
    if answer.status == 409:
        raise Conflict("your peer has not published a prekey bundle yet; try again later")
    bundle = answer.body.get("bundle")
    if not answer.ok or not isinstance(bundle, dict):
        raise Unavailable("the peer's node did not give a bundle; try again")
    pinned = found.peer.identity_key
    if pinned is not None:
        announced = b64encode(pinned)
        if bundle.get("ik") != announced:
            raise Conflict("the peer's bundle does not carry its registered room identity")
    return {"member_id": str(found.peer.id), "bundle": bundle}
