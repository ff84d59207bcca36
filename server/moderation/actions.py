"""What a moderator can do about a flag: open a private room with the member who flagged, close
the flagged room, suspend a member of it. Each is audited; the caller commits, then notifies.

Moderators never learn account ids: they name a member of the flagged room by its member id
(the id revealed messages carry).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.roles import Role
from server.accounts.suspension import suspend_account
from server.db.models import Account, Flag, Room, RoomMember
from server.errors import Conflict, Forbidden, NotFound
from server.moderation import audit
from server.moderation.flags import flag_for
from server.moderation.states import FlagStatus
from server.rooms import rooms

__all__ = ["close_flagged_room", "open_private_room", "suspend_member"]


async def _active_flag(session: AsyncSession, moderator: Account, flag_id: uuid.UUID) -> Flag:
    if moderator.role != Role.MODERATOR:
        raise Forbidden("only moderators act on flags")
    flag = await flag_for(session, account=moderator, flag_id=flag_id)
    if flag.status == FlagStatus.RESOLVED:
        raise Conflict("this flag is resolved")
    if flag.claimed_by != moderator.id:
        raise Conflict("claim the flag before acting on it")
    return flag


async def open_private_room(
    session: AsyncSession, *, moderator: Account, flag_id: uuid.UUID, now: datetime
) -> tuple[Room, uuid.UUID]:
    """A private room between the moderator and the member who flagged: (room, their account)."""
    flag = await _active_flag(session, moderator, flag_id)
    room = await rooms.create_moderation_room(
        session, member_id=flag.reporter_member_id, moderator_id=moderator.id, now=now
    )
    member = await session.get(RoomMember, flag.reporter_member_id)
    assert member is not None
    await audit.append(
        session,
        action="room.opened",
        network_id=flag.network_id,
        actor_id=moderator.id,
        subject={"flag": flag.id, "room": room.id},
        now=now,
    )
    return room, member.account_id


async def close_flagged_room(
    session: AsyncSession, *, moderator: Account, flag_id: uuid.UUID, now: datetime
) -> list[uuid.UUID]:
    """Close the flagged room for both members; returns their accounts to tell."""
    flag = await _active_flag(session, moderator, flag_id)
    members = await rooms.close_for_moderation(session, room_id=flag.room_id, now=now)
    await audit.append(
        session,
        action="room.closed",
        network_id=flag.network_id,
        actor_id=moderator.id,
        subject={"flag": flag.id, "room": flag.room_id},
        now=now,
    )
    return [m.account_id for m in members]


async def suspend_member(
    session: AsyncSession,
    *,
    moderator: Account,
    flag_id: uuid.UUID,
    member_id: uuid.UUID,
    now: datetime,
) -> uuid.UUID:
    """Suspend the account behind a member of the flagged room; returns it (to notify).

    NotFound for a member of another room; Forbidden for a moderator or admin account.
    """
    flag = await _active_flag(session, moderator, flag_id)
    member = await session.get(RoomMember, member_id)
    if member is None or member.room_id != flag.room_id:
        raise NotFound("no such member in the flagged room")
    target = await session.get(Account, member.account_id)
    assert target is not None
    if target.role in {Role.MODERATOR, Role.NETWORK_ADMIN, Role.INSTITUTION_ADMIN}:
        raise Forbidden("moderators and admins are not suspended from the queue")
    await suspend_account(session, account_id=target.id, now=now)
    await audit.append(
        session,
        action="account.suspended",
        network_id=flag.network_id,
        actor_id=moderator.id,
        subject={"flag": flag.id, "member": member_id},
        now=now,
    )
    return target.id
