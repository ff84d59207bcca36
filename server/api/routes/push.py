"""Web Push: the server's VAPID key and the caller's own subscriptions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from crypto.encoding import b64encode
from server.accounts.statements import b64decode
from server.api.deps import CurrentAccount, Now, SessionDep, StateDep
from server.api.schemas_push import PushKeyOut, PushSubscriptionIn, PushSubscriptionOut
from server.platform.secrets import vapid_public_key
from server.push import subscriptions

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/push", tags=["push"])


@router.get("/key", summary="The VAPID public key to subscribe with")
async def push_key(_account: CurrentAccount, state: StateDep) -> PushKeyOut:
    return PushKeyOut(public_key=b64encode(vapid_public_key(state.keys.vapid_private_key)))


@router.post(
    "/subscriptions",
    status_code=status.HTTP_201_CREATED,
    summary="Register this browser's push subscription (or refresh its keys)",
)
async def create_subscription(
    body: PushSubscriptionIn,
    account: CurrentAccount,
    session: SessionDep,
    state: StateDep,
    now: Now,
) -> PushSubscriptionOut:
    created = await subscriptions.subscribe(
        session,
        account_id=account.id,
        endpoint=body.endpoint,
        p256dh=b64decode(body.keys.p256dh, field="keys.p256dh", length=65),
        auth=b64decode(body.keys.auth, field="keys.auth", length=16),
        now=now,
        https_only=state.settings.push_https_only,
        max_per_account=state.settings.push_max_subscriptions_per_account,
    )
    await session.commit()
    return PushSubscriptionOut(id=created.id, created_at=created.created_at)


@router.get("/subscriptions", summary="The caller's push subscriptions")
async def list_subscriptions(
    account: CurrentAccount, session: SessionDep
) -> list[PushSubscriptionOut]:
    found = await subscriptions.list_for(session, account_id=account.id)
    return [PushSubscriptionOut(id=s.id, created_at=s.created_at) for s in found]


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove one of the caller's push subscriptions",
)
async def delete_subscription(
    subscription_id: uuid.UUID, account: CurrentAccount, session: SessionDep
) -> Response:
    await subscriptions.delete_own(session, account_id=account.id, subscription_id=subscription_id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
