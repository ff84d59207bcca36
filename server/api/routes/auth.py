"""Login: challenge, token, logout."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response, status

from crypto.encoding import b64encode
from server.accounts import auth
from server.api.deps import (
    BearerToken,
    CurrentAccount,
    Now,
    SessionDep,
    StateDep,
    declares,
    rate_limit,
)
from server.api.schemas import ChallengeCreate, ChallengeOut, LoginRequest, TokenOut
from server.api.views import me_view
from server.push import subscriptions as push_subscriptions

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post(
    "/challenges",
    status_code=status.HTTP_201_CREATED,
    dependencies=[rate_limit("auth_limiter")],
    summary="Get a nonce to sign with the device's identity key",
)
async def create_challenge(
    body: ChallengeCreate, session: SessionDep, state: StateDep, now: Now
) -> ChallengeOut:
    challenge = await auth.issue_challenge(
        session,
        identity_key_b64=body.identity_key,
        ttl=timedelta(seconds=state.settings.challenge_ttl_seconds),
        now=now,
    )
    await session.commit()
    return ChallengeOut(
        challenge_id=challenge.id,
        nonce=b64encode(challenge.nonce),
        origin=state.settings.origin,
        expires_at=challenge.expires_at,
    )


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    dependencies=[rate_limit("auth_limiter")],
    summary="Exchange a signed challenge for a bearer token",
)
@declares(401)
async def create_token(
    body: LoginRequest, session: SessionDep, state: StateDep, now: Now
) -> TokenOut:
    account, issued = await auth.login(
        session,
        challenge_id=body.challenge_id,
        signature_b64=body.signature,
        origin=state.settings.origin,
        ttl=timedelta(seconds=state.settings.token_ttl_seconds),
        now=now,
    )
    me = await me_view(session, account=account)
    await session.commit()
    return TokenOut(token=issued.token, expires_at=issued.expires_at, me=me)


@router.delete(
    "/tokens/current",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out: revoke the token of this request",
)
async def delete_token(
    account: CurrentAccount, token: BearerToken, session: SessionDep, state: StateDep, now: Now
) -> Response:
    token_id = await auth.logout(session, token=token, now=now)
    # A logged-out device must hear nothing more (an account is one device).
    await push_subscriptions.revoke_all(session, account_id=account.id)
    await session.commit()
    if token_id is not None:  # sockets opened with this token close now, on every worker
        await state.end_sessions(account.id, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
