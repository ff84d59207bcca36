"""The signed intake for institutions' systems. Authenticated by the HMAC signature of an
integration credential (`server.checkins.signatures`), not by a bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from server.api.deps import CheckinKeysDep, Now, SessionDep, StateDep, declares
from server.api.schemas_checkins import IntakeOut
from server.checkins import intake

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["intake"])


@router.post(
    "/intake/adverse-events",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Report a FHIR R4 AdverseEvent (signed: see docs/checkins.md)",
    openapi_extra={"requestBody": {"content": {"application/fhir+json": {}}, "required": True}},
)
@declares(401)
async def post_adverse_event(
    request: Request, session: SessionDep, state: StateDep, keys: CheckinKeysDep, now: Now
) -> IntakeOut:
    body = await request.body()
    result = await intake.receive_adverse_event(
        session, headers=dict(request.headers), body=body, keys=keys, settings=state.settings,
        now=now,
    )  # fmt: skip
    await session.commit()
    return IntakeOut(status=result)


@router.post(
    "/intake/team-signals",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Report a week of team load signals (signed; format in docs/checkins.md)",
    openapi_extra={"requestBody": {"content": {"application/json": {}}, "required": True}},
)
@declares(401)
async def post_team_signals(
    request: Request, session: SessionDep, state: StateDep, keys: CheckinKeysDep, now: Now
) -> IntakeOut:
    body = await request.body()
    result = await intake.receive_team_signals(
        session, headers=dict(request.headers), body=body, keys=keys, settings=state.settings,
        now=now,
    )  # fmt: skip
    await session.commit()
    return IntakeOut(status=result)
