"""Suspending an account: it can no longer log in, its tokens stop working, matching skips it.

Open sockets are the relay's part: after the caller commits, it publishes the `suspended`
notification (`SUSPENDED_EVENT`) to the account; the relay closes that account's sockets when
it sees the account revoked or disabled (see docs/moderation.md, "Suspension").
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db.changes import touch_supporter
from server.db.models import AccessToken, Account
from server.errors import NotFound

__all__ = ["SUSPENDED_EVENT", "suspend_account"]

SUSPENDED_EVENT = "suspended"


async def suspend_account(session: AsyncSession, *, account_id: uuid.UUID, now: datetime) -> bool:
    """Disable the account and revoke every live token. False if it was already suspended.

    The caller commits. NotFound for an unknown account.
    """
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound("no such account")
    await session.exec(
        sa.update(AccessToken)
        .where(col(AccessToken.account_id) == account_id, col(AccessToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    disabled = await session.exec(
        sa.update(Account)
        .where(col(Account.id) == account_id, col(Account.disabled_at).is_(None))
        .values(disabled_at=now)
    )
    touch_supporter(session, account_id)  # every worker's pool drops them after the commit
    return bool(disabled.rowcount == 1)
