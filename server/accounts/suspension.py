"""Suspending an account: it can no longer log in, its tokens stop working, matching skips it.

Open sockets are the relay's part: after the caller commits, it publishes the `suspended`
notification (`SUSPENDED_EVENT`) to the account; the relay closes that account's sockets when
it sees the account revoked or disabled (see docs/moderation.md, "Suspension").
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.auth import disable_account
from server.db.models import Account
from server.errors import NotFound

__all__ = ["SUSPENDED_EVENT", "suspend_account"]

SUSPENDED_EVENT = "suspended"


async def suspend_account(session: AsyncSession, *, account_id: uuid.UUID, now: datetime) -> bool:
    """Disable the account and revoke every live token. False if it was already suspended.

    The caller commits. NotFound for an unknown account.
    """
    if await session.get(Account, account_id) is None:
        raise NotFound("no such account")
    return await disable_account(session, account_id=account_id, now=now)
