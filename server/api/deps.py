"""Dependencies shared by the routers, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.auth import authenticate
from server.accounts.roles import Role
from server.db.models import Account
from server.errors import Forbidden, RateLimited, Unauthenticated
from server.platform.throttle import Throttle
from server.state import AppState

__all__ = [
    "BearerToken",
    "CurrentAccount",
    "Now",
    "RequireRole",
    "SessionDep",
    "StateDep",
    "account_rate_limit",
    "bearer_credentials",
    "declares",
    "rate_limit",
]


F = TypeVar("F", bound=Callable[..., Any])


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

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/tokens")


def bearer_credentials(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    """The bearer token of the request, if any (no check)."""
    return None if credentials is None else credentials.credentials


def declares(*statuses: int) -> Callable[[F], F]:
    """Mark a dependency with the error statuses it can answer (for `server.api.openapi`)."""

    def mark(call: F) -> F:
        setattr(call, "problem_statuses", statuses)  # noqa: B010 (mypy: functions have no attrs)
        return call

    return mark


@declares(401)
def get_bearer_token(token: Annotated[str | None, Depends(bearer_credentials)]) -> str:
    if token is None:
        raise Unauthenticated("this route needs an Authorization: Bearer token")
    return token


BearerToken = Annotated[str, Depends(get_bearer_token)]


async def get_current_account(token: BearerToken, session: SessionDep, now: Now) -> Account:
    return await authenticate(session, token=token, now=now)


CurrentAccount = Annotated[Account, Depends(get_current_account)]


class RequireRole:
    """A route dependency admitting only `roles`. The authorisation test reads `.roles`."""

    problem_statuses = (401, 403)

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, account: CurrentAccount) -> Account:
        if account.role not in self.roles:
            raise Forbidden("your role cannot use this route")
        return account


def rate_limit(which: str) -> Any:
    """A dependency charging one attempt per route and client address to the app's `which`
    throttle (shared by all workers on Redis). Raises `RateLimited` with `retry_after`."""

    @declares(429)
    async def charge(request: Request, state: StateDep) -> None:
        throttle: Throttle = getattr(state, which)
        client = request.client.host if request.client else "unknown"
        route = getattr(request.scope.get("route"), "path", request.url.path)
        wait = await throttle.charge(f"{route}|{client}")
        if wait > 0:
            raise RateLimited("too many attempts; try again shortly", retry_after=wait)

    return Depends(charge)


def account_rate_limit(which: str) -> Any:
    """A dependency charging one attempt per account to the app's `which` throttle (after
    authentication). Raises `RateLimited` with `retry_after`."""

    @declares(401, 429)
    async def charge(account: CurrentAccount, state: StateDep) -> None:
        throttle: Throttle = getattr(state, which)
        wait = await throttle.charge(str(account.id))
        if wait > 0:
            raise RateLimited("too many changes; try again later", retry_after=wait)

    return Depends(charge)
