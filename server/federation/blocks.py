"""Blocks across nodes: a pair that blocked each other in a cross-node room never meets again.

A block is made on the node of the person who blocks (`rooms.block_peer`), between a local
account and a stand-in. Neither node can name the other side's person to its peer, and a later
forwarded request from the same requester gets a fresh stand-in on the serving node, so the
block has to be carried in a form both nodes already share: the **room-scoped member id** of the
serving node's person in the room where the block happened (envelopes name members by it, so
both nodes hold it since the room opened, and it means nothing outside that room).

* The home node keeps the block as a `Block` row between its requester and the stand-in
  (made locally, or on `room.closed {blocked: true}` when the peer's person blocked).
* When it forwards a request, `avoid_for` lists, for that peer only, the member ids of the
  peer's people the requester is blocked with, in `ForwardedRequest.avoid`.
* The serving node `honour`s each: a member of a room it shares with that peer, who is one of
  its own accounts, is blocked against the new stand-in requester, so its matchmaker never
  ranks them (blocks hold both ways). Anything else (unknown, another peer's room, a stand-in)
  is ignored: no answer tells the sender which references exist.

What this tells the serving node: that the new request comes from the person it met in those
rooms, and only when a block exists. No account id, device key or institution crosses.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db.models import Block, FederationPeer, RemoteMember, RoomMember
from server.db.upsert import insert_if_missing

__all__ = ["MAX_AVOID", "avoid_for", "honour", "record_remote_block"]

MAX_AVOID = 100
"""At most this many references travel with one request (the newest blocks)."""


async def avoid_for(
    session: AsyncSession, *, requester_id: uuid.UUID, peer_id: uuid.UUID
) -> list[uuid.UUID]:
    """Room member ids (shared with `peer_id`) of the peer's people `requester_id` is blocked
    with, either way, newest first."""
    other = sa.case(
        (col(Block.blocker_id) == requester_id, col(Block.blocked_id)),
        else_=col(Block.blocker_id),
    )
    rows = await session.exec(
        select(RoomMember.id)
        .join(Block, col(RoomMember.account_id) == other)
        .join(RemoteMember, col(RemoteMember.account_id) == col(RoomMember.account_id))
        .where(
            sa.or_(col(Block.blocker_id) == requester_id, col(Block.blocked_id) == requester_id),
            col(RemoteMember.peer_id) == peer_id,
        )
        .order_by(col(Block.created_at).desc())
        .limit(MAX_AVOID)
    )
    return list(dict.fromkeys(rows.all()))


async def honour(
    session: AsyncSession,
    *,
    peer: FederationPeer,
    stand_in_id: uuid.UUID,
    avoid: Sequence[uuid.UUID],
    now: datetime,
) -> int:
    """Block the stand-in requester against each local person `avoid` names (in the caller's
    transaction). Returns how many were blocked; references that are not one of ours in a room
    shared with `peer` are ignored."""
    blocked = 0
    for member_id in avoid:
        member = await session.get(RoomMember, member_id)
        if member is None or await session.get(RemoteMember, member.account_id) is not None:
            continue
        others = await session.exec(
            select(RemoteMember.peer_id)
            .join(RoomMember, col(RoomMember.account_id) == col(RemoteMember.account_id))
            .where(RoomMember.room_id == member.room_id, RoomMember.id != member.id)
        )
        if peer.id not in others.all():
            continue
        await insert_if_missing(
            session, Block, blocker_id=stand_in_id, blocked_id=member.account_id, created_at=now
        )
        blocked += 1
    return blocked


async def record_remote_block(
    session: AsyncSession, *, stand_in: RoomMember, local: RoomMember, now: datetime
) -> None:
    """The peer's person blocked ours (`room.closed {blocked: true}`): keep it as a block by
    the stand-in, so our requester's later requests carry it (`avoid_for`)."""
    await insert_if_missing(
        session, Block, blocker_id=stand_in.account_id, blocked_id=local.account_id,
        created_at=now,
    )  # fmt: skip
