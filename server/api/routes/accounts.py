"""Registration (redeeming an invite) and the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter, status

from server.accounts.invites import redeem_invite
from server.api.deps import CurrentAccount, Now, SessionDep, StateDep, declares, rate_limit
from server.api.schemas import MeOut, Registration
from server.api.views import me_view

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post(
    "/accounts",
    status_code=status.HTTP_201_CREATED,
    dependencies=[rate_limit("registration_limiter")],
    summary="Redeem an invite with a device identity key",
)
@declares(409)
async def register(body: Registration, session: SessionDep, state: StateDep, now: Now) -> MeOut:
    account = await redeem_invite(
        session,
        code=body.invite_code,
        identity_key_b64=body.identity_key,
        signature_b64=body.signature,
        origin=state.settings.origin,
        now=now,
    )
    me = await me_view(session, account=account)
    await session.commit()
    return me


@router.get("/me", summary="The caller's account, role, institution and network")
async def me(account: CurrentAccount, session: SessionDep) -> MeOut:
    return await me_view(session, account=account)
