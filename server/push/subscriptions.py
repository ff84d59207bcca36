"""Push subscriptions: a browser registers where it can be reached; the owner lists and removes
them; logout and a push service's 404/410 remove them too. Every function takes the caller's
session and never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db.models import PushSubscription
from server.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "MAX_ENDPOINT_CHARS",
    "delete_gone",
    "delete_own",
    "list_for",
    "revoke_all",
    "subscribe",
]

MAX_ENDPOINT_CHARS = 2048


def _check_endpoint(endpoint: str, *, https_only: bool) -> None:
    # The server POSTs to this URL: only plain https (http too where a test allows it), a host,
    # no credentials in it.
    parts = urlsplit(endpoint)
    schemes = {"https"} if https_only else {"https", "http"}
    if (
        len(endpoint) > MAX_ENDPOINT_CHARS
        or parts.scheme not in schemes
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
    ):
        raise InvalidInput("endpoint: expected the push service's https URL")


def _check_keys(p256dh: bytes, auth: bytes) -> None:
    if len(auth) != 16:
        raise InvalidInput("keys.auth: expected 16 bytes")
    problem = "keys.p256dh: expected an uncompressed P-256 point"
    if len(p256dh) != 65 or p256dh[0] != 4:
        raise InvalidInput(problem)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError:
        raise InvalidInput(problem) from None


async def subscribe(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    endpoint: str,
    p256dh: bytes,
    auth: bytes,
    now: datetime,
    https_only: bool,
    max_per_account: int,
) -> PushSubscription:
    """Register (or refresh the keys of) a subscription of `account_id`.

    Raises `InvalidInput` for a bad endpoint or keys, `Conflict` for an endpoint another account
    registered. Beyond `max_per_account` the oldest subscriptions of the account are dropped (a
    browser that re-subscribes gets a new endpoint and never tells the old one is dead).
    """
    _check_endpoint(endpoint, https_only=https_only)
    _check_keys(p256dh, auth)
    existing = (
        await session.exec(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    ).first()
    if existing is not None:
        if existing.account_id != account_id:
            raise Conflict("this push endpoint is registered to someone else")
        existing.p256dh, existing.auth = p256dh, auth
        session.add(existing)
        await session.flush()
        return existing
    created = PushSubscription(
        account_id=account_id, endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=now
    )
    session.add(created)
    await session.flush()
    kept = await list_for(session, account_id=account_id)
    for old in kept[: max(0, len(kept) - max_per_account)]:
        await session.delete(old)
    await session.flush()
    return created


async def list_for(session: AsyncSession, *, account_id: uuid.UUID) -> list[PushSubscription]:
    """The account's subscriptions, oldest first."""
    query = (
        select(PushSubscription)
        .where(PushSubscription.account_id == account_id)
        .order_by(col(PushSubscription.created_at), col(PushSubscription.id))
    )
    return list((await session.exec(query)).all())


async def delete_own(
    session: AsyncSession, *, account_id: uuid.UUID, subscription_id: uuid.UUID
) -> None:
    """Remove one of the caller's subscriptions; `NotFound` for anyone else's (not revealed)."""
    found = await session.get(PushSubscription, subscription_id)
    if found is None or found.account_id != account_id:
        raise NotFound("no such push subscription")
    await session.delete(found)
    await session.flush()


async def delete_gone(session: AsyncSession, *, subscription_ids: Sequence[uuid.UUID]) -> int:
    """Remove subscriptions the push service called gone (404/410). Returns how many."""
    if not subscription_ids:
        return 0
    result = await session.exec(
        sa.delete(PushSubscription).where(col(PushSubscription.id).in_(list(subscription_ids)))
    )
    return int(result.rowcount or 0)


async def revoke_all(session: AsyncSession, *, account_id: uuid.UUID) -> int:
    """Remove every subscription of the account (logout). Returns how many."""
    result = await session.exec(
        sa.delete(PushSubscription).where(col(PushSubscription.account_id) == account_id)
    )
    return int(result.rowcount or 0)
