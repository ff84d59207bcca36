"""Flags: a room member raises one (with an optional sealed report); the network's moderators
see them in a risk-ordered queue, claim one (one owner), acknowledge it (the escalation clock
stops) and resolve it with an outcome. Every moderator step is audited.

Status writes are guarded `UPDATE … WHERE status = old` (see `server.moderation.states`): of two
moderators claiming at once, one wins and the other gets `Conflict`. Functions take the caller's
session and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import DecodeError
from crypto.report import SealedReport
from server.accounts.roles import Role
from server.db.models import Account, Flag
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.moderation import audit, rota
from server.moderation.states import (
    FLAG,
    SEVERITY,
    Category,
    FlagStatus,
    Outcome,
    Tier,
)
from server.rooms import rooms

__all__ = [
    "Deadlines",
    "acknowledge",
    "claim",
    "flag_for",
    "queue",
    "raise_flag",
    "resolve",
]

Deadlines = Mapping[Category, timedelta]
"""How long each category's flag may wait for an acknowledgement in each tier."""

_NOT_FOUND = "no such flag in your network"


def _category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        raise InvalidInput("unknown category") from None


async def raise_flag(
    session: AsyncSession,
    *,
    account: Account,
    room_id: uuid.UUID,
    category: str,
    sealed_report: str | None,
    deadlines: Deadlines,
    max_report_bytes: int,
    max_open: int,
    now: datetime,
) -> Flag:
    """Flag a room the caller is a member of. Returns the flag; the caller commits, then tells
    `rota.on_duty(..., Tier.PRIMARY)`.

    NotFound for a room the caller is not in; InvalidInput for an unknown category or a
    malformed sealed report; PayloadTooLarge-sized reports are InvalidInput too (the body limit
    catches larger ones); Conflict when the report is sealed to a key that is not a current
    moderator report key of the network (fetch them again and re-seal), or when the member
    already has `max_open` unresolved flags on this room (except for a crisis, which always
    goes through).
    A crisis flag when nobody is on primary duty is due at once: the escalation job moves it on
    within one poll.
    """
    found = await rooms.membership(session, account=account, room_id=room_id)
    kind = _category(category)
    network_id = await rota.network_of(session, account=account)
    open_flags = select(sa.func.count()).select_from(Flag).where(
        Flag.reporter_member_id == found.me.id, Flag.status != FlagStatus.RESOLVED.value
    )
    # A crisis always goes through (a crisis flag is never dropped); the limit stops a flood
    # of the others.
    if kind is not Category.CRISIS and (await session.exec(open_flags)).one() >= max_open:
        raise Conflict("you have several open flags on this room; a moderator will see them")
    if sealed_report is not None:
        try:
            sealed = SealedReport.decode(sealed_report, max_bytes=max_report_bytes)
        except DecodeError:
            raise InvalidInput("sealed report is malformed or too large") from None
        keys = await rota.network_report_keys(session, network_id=network_id)
        # A member's device seals to the moderator keys it trusts (crypto/moderators.py): all
        # of them, or fewer when it refused one it had not pinned. Never to a key that is not
        # a current moderator's.
        if not sealed.recipient_keys <= frozenset(keys):
            raise Conflict("the report is not sealed to the current moderator keys; re-seal it")
        sealed_report = sealed.encode()
    deadline = now + deadlines[kind]
    if kind is Category.CRISIS and not await rota.on_duty(
        session, network_id=network_id, tier=Tier.PRIMARY
    ):
        deadline = now
    flag = Flag(
        network_id=network_id,
        room_id=room_id,
        reporter_member_id=found.me.id,
        category=kind.value,
        severity=int(SEVERITY[kind]),
        status=FlagStatus.OPEN.value,
        tier=Tier.PRIMARY.value,
        sealed_report=sealed_report,
        created_at=now,
        escalate_at=deadline,
    )
    session.add(flag)
    await session.flush()
    await audit.append(
        session,
        action="flag.raised",
        network_id=network_id,
        actor_id=None,
        subject={"flag": flag.id, "room": room_id, "category": kind.value},
        now=now,
    )
    return flag


async def flag_for(session: AsyncSession, *, account: Account, flag_id: uuid.UUID) -> Flag:
    """A flag of the caller's network; NotFound for an unknown one or another network's."""
    flag = await session.get(Flag, flag_id)
    if flag is None or flag.network_id != await rota.network_of(session, account=account):
        raise NotFound(_NOT_FOUND)
    return flag


async def queue(
    session: AsyncSession, *, account: Account, include_resolved: bool = False, limit: int = 200
) -> list[Flag]:
    """The caller's network's flags: severity first, then oldest first."""
    network_id = await rota.network_of(session, account=account)
    query = select(Flag).where(Flag.network_id == network_id)
    if not include_resolved:
        query = query.where(Flag.status != FlagStatus.RESOLVED.value)
    query = query.order_by(col(Flag.severity).desc(), col(Flag.created_at)).limit(limit)
    return list((await session.exec(query)).all())


async def _move(
    session: AsyncSession,
    flag: Flag,
    *,
    to: FlagStatus,
    owner: uuid.UUID | None,
    values: dict[str, Any],
) -> None:
    old = FlagStatus(flag.status)
    FLAG(old, to)
    guard = [col(Flag.id) == flag.id, col(Flag.status) == old.value]
    if owner is not None:
        guard.append(col(Flag.claimed_by) == owner)
    moved = await session.exec(sa.update(Flag).where(*guard).values(status=to.value, **values))
    if moved.rowcount != 1:
        raise Conflict("the flag changed meanwhile; re-read it")
    await session.refresh(flag)


def _require_moderator(account: Account) -> None:
    if account.role != Role.MODERATOR:
        raise Forbidden("only moderators act on flags")


def _require_owner(flag: Flag, moderator: Account) -> None:
    if flag.claimed_by != moderator.id:
        raise Conflict("another moderator has claimed this flag")


async def claim(
    session: AsyncSession, *, moderator: Account, flag_id: uuid.UUID, now: datetime
) -> Flag:
    """Take ownership of an open flag. Conflict if it is already claimed or resolved."""
    _require_moderator(moderator)
    flag = await flag_for(session, account=moderator, flag_id=flag_id)
    if flag.status != FlagStatus.OPEN:
        raise Conflict("this flag is already claimed")
    await _move(
        session,
        flag,
        to=FlagStatus.CLAIMED,
        owner=None,
        values={"claimed_by": moderator.id, "claimed_at": now},
    )
    await audit.append(
        session,
        action="flag.claimed",
        network_id=flag.network_id,
        actor_id=moderator.id,
        subject={"flag": flag.id},
        now=now,
    )
    return flag


async def acknowledge(
    session: AsyncSession, *, moderator: Account, flag_id: uuid.UUID, now: datetime
) -> Flag:
    """Acknowledge a flag one has claimed: its escalation clock stops."""
    _require_moderator(moderator)
    flag = await flag_for(session, account=moderator, flag_id=flag_id)
    _require_owner(flag, moderator)
    if flag.status != FlagStatus.CLAIMED:
        raise Conflict("this flag is not waiting for an acknowledgement")
    await _move(
        session,
        flag,
        to=FlagStatus.ACKNOWLEDGED,
        owner=moderator.id,
        values={"acknowledged_at": now, "escalate_at": None},
    )
    await audit.append(
        session,
        action="flag.acknowledged",
        network_id=flag.network_id,
        actor_id=moderator.id,
        subject={"flag": flag.id},
        now=now,
    )
    return flag


async def resolve(
    session: AsyncSession, *, moderator: Account, flag_id: uuid.UUID, outcome: str, now: datetime
) -> Flag:
    """Close an acknowledged flag one owns with an outcome. InvalidInput for an unknown one."""
    _require_moderator(moderator)
    try:
        result = Outcome(outcome)
    except ValueError:
        raise InvalidInput("unknown outcome") from None
    flag = await flag_for(session, account=moderator, flag_id=flag_id)
    _require_owner(flag, moderator)
    if flag.status != FlagStatus.ACKNOWLEDGED:
        raise Conflict("acknowledge the flag before resolving it, once")
    await _move(
        session,
        flag,
        to=FlagStatus.RESOLVED,
        owner=moderator.id,
        values={"resolved_at": now, "outcome": result.value, "escalate_at": None},
    )
    await audit.append(
        session,
        action="flag.resolved",
        network_id=flag.network_id,
        actor_id=moderator.id,
        subject={"flag": flag.id, "outcome": result.value},
        now=now,
    )
    return flag
