"""Applying the events of a peer's transaction (envelopes are the relay's: see the send route).

Each event is applied in the caller's transaction and is idempotent, so a transaction the peer
sends again (after a lost answer) changes nothing twice. A peer can act only on its own
forwarded requests (by token) and its own stand-ins' rooms; anything else is `NotFound`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.statements import b64decode
from server.db.models import Account, FederationPeer, Room, RoomMember
from server.errors import Conflict, InvalidInput, NotFound
from server.federation import blocks, forwarding, remote, shared_rooms
from server.federation.states import FORWARD, ForwardStatus
from server.rooms.states import ROOM, RoomStatus, room_status
from server.support import requests

__all__ = ["LATE", "Applied", "apply_event"]

LATE = "request_closed"
"""The result code of an answer to a forwarded request that expired or was cancelled here."""


@dataclass
class Applied:
    """What the caller does after committing: notify local accounts, search again."""

    notify: list[tuple[uuid.UUID, str, uuid.UUID]] = field(default_factory=list)
    search_again: uuid.UUID | None = None
    refused: str | None = None  # an error code for the peer; what was queued still commits


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput("an id in the event is malformed") from None


async def _local_member(
    session: AsyncSession, room_id: uuid.UUID, stand_in: RoomMember
) -> RoomMember:
    members = (await session.exec(select(RoomMember).where(RoomMember.room_id == room_id))).all()
    local = next((m for m in members if m.id != stand_in.id), None)
    if local is None:
        raise NotFound("no such room member of yours")
    return local


async def apply_event(
    session: AsyncSession, *, peer: FederationPeer, item: dict[str, Any], now: datetime
) -> Applied:
    """Apply one event. InvalidInput for a malformed or unknown kind, NotFound for something
    that is not the peer's, Conflict for what the state forbids."""
    kind = item.get("kind")
    if kind == shared_rooms.ACCEPTED:
        notify = await shared_rooms.mirror(session, peer=peer, payload=item, now=now)
        return Applied(refused=LATE) if notify is None else Applied(notify=notify)
    if kind == forwarding.UNAVAILABLE:
        forwarded = await forwarding.outbound(session, peer=peer, token=item.get("token"))
        if forwarded is None:
            raise NotFound("no such forwarded request")
        if forwarded.status == ForwardStatus.ANSWERED:
            return Applied()  # applied before
        if forwarded.status != ForwardStatus.WAITING:
            return Applied(refused=LATE)  # expired or cancelled here: nothing to undo
        forwarded.status = FORWARD(ForwardStatus.WAITING, ForwardStatus.ANSWERED)
        session.add(forwarded)
        if await forwarding.back_to_searching(session, request_id=forwarded.request_id, now=now):
            return Applied(search_again=forwarded.request_id)
        return Applied()
    if kind == forwarding.CANCELLED:
        request = await forwarding.home_request(
            session, peer=peer, token=item.get("token"), inbound=True
        )
        if request is None:
            raise NotFound("no such forwarded request")
        requester = await session.get(Account, request.requester_id)
        assert requester is not None
        try:
            await requests.cancel_request(
                session, account=requester, request_id=request.id, now=now
            )
        except Conflict:
            pass  # matched or closed already: the room's own close follows
        return Applied()
    if kind not in (shared_rooms.IDENTITY, shared_rooms.PREKEYS, shared_rooms.CLOSED):
        raise InvalidInput("unknown item kind")
    room_id = _uuid(item.get("room"))
    stand_in = await remote.stand_in_in_room(
        session, peer=peer, room_id=room_id, member_id=_uuid(item.get("member"))
    )
    local = await _local_member(session, room_id, stand_in)
    applied = Applied(notify=[(local.account_id, "room", room_id)])
    if kind == shared_rooms.IDENTITY:
        raw = item.get("identity_key")
        try:
            key = b64decode(str(raw), field="identity_key", length=32)
        except InvalidInput:
            raise InvalidInput("the identity key is malformed") from None
        if stand_in.identity_key is not None:
            if stand_in.identity_key != key:
                raise Conflict("the member's room identity is already registered")
            return Applied()
        stand_in.identity_key, stand_in.joined_at = key, now
        session.add(stand_in)
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict("this key is already registered") from None
    elif kind == shared_rooms.CLOSED:
        room = await session.get(Room, room_id)
        assert room is not None
        if item.get("left") is True and stand_in.left_at is None:
            stand_in.left_at = now
            session.add(stand_in)
        if item.get("blocked") is True:
            await blocks.record_remote_block(session, stand_in=stand_in, local=local, now=now)
        if room_status(room.closed_at) is RoomStatus.OPEN:
            ROOM(RoomStatus.OPEN, RoomStatus.CLOSED)
            room.closed_at = now
            session.add(room)
        await session.flush()
    return applied
