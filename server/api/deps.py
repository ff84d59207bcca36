"""Dependencies shared by the routers, as `Annotated` aliases."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.auth import authenticate
from server.accounts.roles import Role
from server.checkins.keys import CheckinKeys
from server.db.models import Account
from server.errors import Forbidden, RateLimited, Unauthenticated
from server.platform.ratelimit import RateLimiter
from server.state import AppState

__all__ = [
    "BearerToken",
    "CheckinKeysDep",
    "CurrentAccount",
    "Now",
    "RequireRole",
    "SessionDep",
    "StateDep",
    "rate_limit",
]


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.peerhaven
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def get_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    async with state.db.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def get_now(state: StateDep) -> datetime:
    return state.clock()


Now = Annotated[datetime, Depends(get_now)]


def get_checkin_keys(state: StateDep) -> CheckinKeys:
    return CheckinKeys(state.keys.checkins_secret)


CheckinKeysDep = Annotated[CheckinKeys, Depends(get_checkin_keys)]

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/tokens")


def get_bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise Unauthenticated("this route needs an Authorization: Bearer token")
    return credentials.credentials


BearerToken = Annotated[str, Depends(get_bearer_token)]


async def get_current_account(token: BearerToken, session: SessionDep, now: Now) -> Account:
    return await authenticate(session, token=token, now=now)


CurrentAccount = Annotated[Account, Depends(get_current_account)]


class RequireRole:
    """A route dependency admitting only `roles`. The authorisation test reads `.roles`."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, account: CurrentAccount) -> Account:
        if account.role not in self.roles:
            raise Forbidden("your role cannot use this route")
        return account


def rate_limit(which: str) -> Any:
    """A dependency charging one attempt per client address to the app's `which` limiter."""

    def charge(request: Request, state: StateDep) -> None:
        limiter: RateLimiter = getattr(state, which)
        client = request.client.host if request.client else "unknown"
        wait = limiter.acquire(f"{request.url.path}|{client}", now=time.monotonic())
        if wait > 0:
            raise RateLimited(
                "too many attempts; try again shortly", retry_after=limiter.retry_after(wait)
            )

    return Depends(charge)
