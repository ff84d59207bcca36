"""Opt-in links: a clinician gives the staff identifier their incident system uses, and
Peerhaven keeps only its keyed hash (`server.checkins.keys`). The institution is never told.

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.checkins.keys import CheckinKeys
from server.checkins.states import CheckinStatus
from server.db.models import Account, CheckinOffer, StaffLink
from server.errors import Forbidden
from server.support.profiles import CAN_ASK

__all__ = ["get_link", "link", "unlink"]


def _check(account: Account) -> None:
    if account.role not in CAN_ASK:
        raise Forbidden("only clinicians and supporters receive check-ins")


async def link(
    session: AsyncSession,
    *,
    account: Account,
    staff_identifier: str,
    team: str | None,
    keys: CheckinKeys,
    now: datetime,
) -> StaffLink:
    """Link (or re-link) the caller. InvalidInput for an empty or over-long identifier or team;
    the identifier itself is hashed here and goes no further."""
    _check(account)
    staff_hash = keys.staff_hash(account.institution_id, staff_identifier)
    team_hash = keys.team_hash(account.institution_id, team) if team else None
    found = await session.get(StaffLink, account.id)
    if found is None:
        found = StaffLink(account_id=account.id, institution_id=account.institution_id,
                          staff_hash=staff_hash, team_hash=team_hash, created_at=now)  # fmt: skip
    else:
        found.staff_hash, found.team_hash, found.created_at = staff_hash, team_hash, now
    session.add(found)
    await session.flush()
    return found


async def get_link(session: AsyncSession, *, account: Account) -> StaffLink | None:
    _check(account)
    return await session.get(StaffLink, account.id)


async def unlink(session: AsyncSession, *, account: Account) -> None:
    """Forget the link, and the check-ins not yet offered (offered ones stay the caller's)."""
    _check(account)
    await session.exec(sa.delete(StaffLink).where(col(StaffLink.account_id) == account.id))
    await session.exec(
        sa.delete(CheckinOffer).where(
            col(CheckinOffer.account_id) == account.id,
            col(CheckinOffer.status) == CheckinStatus.SCHEDULED,
        )
    )
