"""Acknowledgement deadlines and escalation: primary → backup → network admins.

A flag's deadline is its `escalate_at` column, so it survives restarts. The escalation job polls
for due flags (an indexed range scan) every `moderation_poll_seconds` and fires each with a
guarded `UPDATE … WHERE id = ? AND tier = old AND escalate_at = due`: when two workers see the
same due flag, exactly one update matches a row (PostgreSQL re-checks the guard after the row
lock; SQLite has one writer), and only that worker audits and notifies.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.db.engine import Database
from server.db.models import Flag
from server.moderation import audit, rota
from server.moderation.flags import Deadlines
from server.moderation.states import TIER, Category, Severity, Tier
from server.platform.notify import Notifier

__all__ = [
    "FLAG_EVENT",
    "Escalated",
    "deadlines",
    "escalate_due",
    "notify_flag",
    "recipients",
]

log = logging.getLogger(__name__)

FLAG_EVENT = "flag"
_TIERS = (Tier.PRIMARY, Tier.BACKUP, Tier.ADMINS)


@dataclass(frozen=True)
class Escalated:
    flag_id: uuid.UUID
    tier: Tier
    lateness_seconds: float  # fired time - deadline


def deadlines(settings: Settings) -> Deadlines:
    """The acknowledgement deadline of each flag category, from the settings."""
    return {
        Category.CRISIS: timedelta(seconds=settings.moderation_ack_crisis_seconds),
        Category.HARASSMENT: timedelta(seconds=settings.moderation_ack_harassment_seconds),
        Category.PATIENT_SAFETY: timedelta(seconds=settings.moderation_ack_patient_safety_seconds),
        Category.OTHER: timedelta(seconds=settings.moderation_ack_other_seconds),
    }


def _next(tier: Tier) -> Tier | None:
    following = [t for t in _TIERS if t in TIER.table.get(tier, frozenset())]
    return following[0] if following else None


async def recipients(session: AsyncSession, *, network_id: uuid.UUID, tier: Tier) -> set[uuid.UUID]:
    """Who hears about a flag in `tier`: the on-duty people of that tier and every tier below."""
    found: set[uuid.UUID] = set()
    for each in _TIERS[: _TIERS.index(tier) + 1]:
        found |= set(await rota.on_duty(session, network_id=network_id, tier=each))
    return found


async def notify_flag(notify: Notifier, to: set[uuid.UUID], flag: Flag, *, change: str) -> None:
    """Tell moderators (and admins) a flag changed; ids and queue metadata only."""
    for account_id in to:
        await notify(
            account_id,
            FLAG_EVENT,
            flag=flag.id,
            change=change,
            tier=flag.tier,
            severity=Severity(flag.severity).name.lower(),
        )


async def _fire(
    session: AsyncSession, *, flag_id: uuid.UUID, now: datetime, deadlines: Deadlines
) -> Flag | None:
    flag = await session.get(Flag, flag_id)
    if flag is None or flag.escalate_at is None or flag.escalate_at > now:
        return None
    old = Tier(flag.tier)
    new = _next(old)
    if new is None:  # already with the admins: nothing further
        return None
    TIER(old, new)
    due = flag.escalate_at
    following = None
    if _next(new) is not None:
        following = now + deadlines[Category(flag.category)]
        nobody = not await rota.on_duty(session, network_id=flag.network_id, tier=new)
        if nobody and flag.category == Category.CRISIS:
            following = now  # a crisis never waits for an empty tier
    fired = await session.exec(
        sa.update(Flag)
        .where(col(Flag.id) == flag_id, col(Flag.tier) == old.value, col(Flag.escalate_at) == due)
        .values(tier=new.value, escalate_at=following, escalated_at=now)
    )
    if fired.rowcount != 1:
        return None  # another worker fired it first
    await audit.append(
        session,
        action="flag.escalated",
        network_id=flag.network_id,
        actor_id=None,
        subject={"flag": flag_id, "tier": new.value},
        now=now,
    )
    await session.refresh(flag)
    return flag


async def _fire_batch(
    db: Database, due: list[tuple[uuid.UUID, datetime]], *, now: datetime, deadlines: Deadlines
) -> list[tuple[Flag, datetime, set[uuid.UUID]]]:
    """Fire `due` in one transaction (one commit, one wait for the database's write lock);
    each fired flag with its deadline and who must hear of it."""
    fired = []
    async with db.session() as session:
        for flag_id, deadline in due:
            flag = await _fire(session, flag_id=flag_id, now=now, deadlines=deadlines)
            if flag is not None:
                to = await recipients(session, network_id=flag.network_id, tier=Tier(flag.tier))
                fired.append((flag, deadline, to))
        await session.commit()
    return fired


async def escalate_due(
    db: Database, *, now: datetime, deadlines: Deadlines, notify: Notifier, batch: int = 100
) -> list[Escalated]:
    """Fire every deadline due at `now` and notify after the commit.

    The due flags of one poll are fired in one transaction: under write load (the relay's
    group commits on SQLite) each commit waits for the write lock, so one commit per poll
    instead of one per flag keeps escalations on time (docs/performance.md, Moderation). If
    that transaction fails, each flag is retried in its own, so one bad row cannot hold the
    others back."""
    async with db.session() as session:
        found = (
            await session.exec(
                select(Flag.id, Flag.escalate_at)
                .where(col(Flag.escalate_at).is_not(None), col(Flag.escalate_at) <= now)
                .order_by(col(Flag.escalate_at))
                .limit(batch)
            )
        ).all()
    due = [(flag_id, deadline) for flag_id, deadline in found if deadline is not None]
    if not due:
        return []
    try:
        fired = await _fire_batch(db, due, now=now, deadlines=deadlines)
    except Exception as exc:
        log.warning("escalation batch failed (%s); firing one by one", type(exc).__name__)
        fired = []
        for one in due:
            try:
                fired += await _fire_batch(db, [one], now=now, deadlines=deadlines)
            except Exception as again:  # the next poll retries it
                log.warning("escalating flag %s failed (%s)", one[0], type(again).__name__)
    done = []
    for flag, deadline, to in fired:
        late = (now - deadline).total_seconds()
        log.info("flag %s escalated to %s (%.3f s after its deadline)", flag.id, flag.tier, late)
        done.append(Escalated(flag.id, Tier(flag.tier), late))
        await notify_flag(notify, to, flag, change="escalated")
    return done
