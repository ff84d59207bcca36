"""Challenge-response login and opaque bearer tokens (stored only as hashes)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.statements import parse_identity_key, verify_login
from server.db.changes import touch_supporter
from server.db.models import AccessToken, Account, LoginChallenge
from server.errors import Unauthenticated

__all__ = [
    "TOKEN_PREFIX",
    "Grant",
    "IssuedToken",
    "active_tokens",
    "authenticate",
    "authenticate_token",
    "disable_account",
    "issue_challenge",
    "issue_token",
    "login",
    "logout",
    "purge_expired",
    "token_is_active",
]

TOKEN_PREFIX = "ph1_"


@dataclass(frozen=True, repr=False)
class IssuedToken:
    """A freshly minted token: the only time it exists in clear. `repr` hides it."""

    token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"IssuedToken(<redacted>, expires_at={self.expires_at.isoformat()})"


@dataclass(frozen=True)
class Grant:
    """What a valid bearer token grants: the account, which token (its id, not the secret), and
    until when. Long-lived sockets keep it to close at expiry and on revocation."""

    account: Account
    token_id: uuid.UUID
    expires_at: datetime


def _token_hash(token: str) -> bytes:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).digest()


async def issue_challenge(
    session: AsyncSession, *, identity_key_b64: str, ttl: timedelta, now: datetime
) -> LoginChallenge:
    """A fresh nonce to sign. Issued for unknown keys too, so keys cannot be probed."""
    identity_key = parse_identity_key(identity_key_b64)
    challenge = LoginChallenge(
        identity_key=identity_key, nonce=secrets.token_bytes(32), expires_at=now + ttl
    )
    session.add(challenge)
    await session.flush()
    return challenge


async def login(
    session: AsyncSession,
    *,
    challenge_id: uuid.UUID,
    signature_b64: str,
    origin: str,
    ttl: timedelta,
    now: datetime,
) -> tuple[Account, IssuedToken]:
    """Exchange a signed challenge for a token. Every failure is the same `Unauthenticated`."""
    challenge = await session.get(LoginChallenge, challenge_id)
    if challenge is None or challenge.used or challenge.expires_at <= now:
        raise Unauthenticated("login failed: challenge unknown, used or expired")
    verify_login(
        origin=origin,
        nonce=challenge.nonce,
        identity_key=challenge.identity_key,
        signature_b64=signature_b64,
    )
    # Claim the nonce atomically: of two concurrent logins with one challenge, one wins.
    claimed = await session.exec(
        sa.update(LoginChallenge)
        .where(col(LoginChallenge.id) == challenge_id, col(LoginChallenge.used).is_(False))
        .values(used=True)
    )
    if claimed.rowcount != 1:
        raise Unauthenticated("login failed: challenge unknown, used or expired")
    account = (
        await session.exec(select(Account).where(Account.identity_key == challenge.identity_key))
    ).first()
    if account is None or account.disabled_at is not None:
        raise Unauthenticated("login failed: no active account for this key (or it is suspended)")
    return account, await issue_token(session, account_id=account.id, ttl=ttl, now=now)


async def issue_token(
    session: AsyncSession, *, account_id: uuid.UUID, ttl: timedelta, now: datetime
) -> IssuedToken:
    """Mint a bearer token for an account (after a successful login)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + ttl
    session.add(
        AccessToken(
            account_id=account_id,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return IssuedToken(token=token, expires_at=expires_at)


async def authenticate(session: AsyncSession, *, token: str, now: datetime) -> Account:
    """The account behind a bearer token; `Unauthenticated` if unknown, expired or revoked."""
    return (await authenticate_token(session, token=token, now=now)).account


async def authenticate_token(session: AsyncSession, *, token: str, now: datetime) -> Grant:
    """The grant behind a bearer token (for long-lived sockets); `Unauthenticated` if unknown,
    expired, revoked or the account is disabled."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        raise Unauthenticated("malformed bearer token")
    row = (
        await session.exec(
            select(AccessToken, Account)
            .join(Account, col(Account.id) == col(AccessToken.account_id))
            .where(AccessToken.token_hash == _token_hash(token))
        )
    ).first()
    if row is None:
        raise Unauthenticated("unknown bearer token")
    access, account = row
    if account.disabled_at is not None:  # first: a suspended member must be told so
        raise Unauthenticated("this account is suspended; contact your peer-support program")
    if access.revoked_at is not None:
        raise Unauthenticated("bearer token was revoked")
    if access.expires_at <= now:
        raise Unauthenticated("bearer token expired")
    return Grant(account=account, token_id=access.id, expires_at=access.expires_at)


async def token_is_active(session: AsyncSession, *, token_id: uuid.UUID, now: datetime) -> bool:
    """Whether a token still grants access: not revoked, not expired, its account not disabled."""
    return token_id in await active_tokens(session, token_ids=[token_id], now=now)


async def active_tokens(
    session: AsyncSession, *, token_ids: Collection[uuid.UUID], now: datetime
) -> set[uuid.UUID]:
    """Those of `token_ids` that still grant access (as `token_is_active`), in one query: the
    caller keeps the list to a size the database accepts as bound parameters (a few thousand)."""
    if not token_ids:
        return set()
    query = (
        select(AccessToken.id)
        .join(Account, col(Account.id) == col(AccessToken.account_id))
        .where(
            col(AccessToken.id).in_(list(token_ids)),
            col(AccessToken.revoked_at).is_(None),
            col(AccessToken.expires_at) > now,
            col(Account.disabled_at).is_(None),
        )
    )
    return set((await session.exec(query)).all())


async def logout(session: AsyncSession, *, token: str, now: datetime) -> uuid.UUID | None:
    """Revoke a token; returns its id (None when it was unknown or revoked already). The caller
    commits, then ends the token's open sockets (`server.platform.sessions`)."""
    revoked = await session.exec(
        sa.update(AccessToken)
        .where(
            col(AccessToken.token_hash) == _token_hash(token), col(AccessToken.revoked_at).is_(None)
        )
        .values(revoked_at=now)
        .returning(col(AccessToken.id))
    )
    token_id = revoked.scalar_one_or_none()
    return token_id


async def disable_account(session: AsyncSession, *, account_id: uuid.UUID, now: datetime) -> bool:
    """Disable an account and revoke its live tokens; False if it was already disabled.

    The caller commits, then ends its sockets everywhere (`server.platform.sessions.SessionEnder`
    without a token id). Every worker's pool drops the account after the commit.
    """
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
    touch_supporter(session, account_id)
    return bool(disabled.rowcount == 1)


async def purge_expired(session: AsyncSession, *, now: datetime) -> None:
    """Delete challenges and tokens that can no longer be used."""
    await session.exec(sa.delete(LoginChallenge).where(col(LoginChallenge.expires_at) <= now))
    await session.exec(sa.delete(AccessToken).where(col(AccessToken.expires_at) <= now))
