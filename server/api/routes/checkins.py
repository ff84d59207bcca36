"""A clinician's check-ins: the opt-in staff link, and the check-in offers with their three
answers. Only the clinician sees any of it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends

from server.accounts.roles import Role
from server.api.deps import CheckinKeysDep, Now, RequireRole, SessionDep, StateDep
from server.api.schemas_checkins import CheckinAccepted, CheckinOut, LinkIn, LinkOut
from server.api.views import request_view
from server.checkins import links, offers
from server.checkins.states import CheckinReason, CheckinStatus
from server.db.models import Account, CheckinOffer, StaffLink
from server.support import requests

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["check-ins"])
Member = Annotated[Account, Depends(RequireRole(Role.CLINICIAN, Role.SUPPORTER))]


def _link_view(link: StaffLink | None) -> LinkOut:
    if link is None:
        return LinkOut(linked=False)
    return LinkOut(linked=True, team_linked=link.team_hash is not None, linked_at=link.created_at)


def checkin_view(offer: CheckinOffer) -> CheckinOut:
    return CheckinOut(
        id=offer.id,
        status=CheckinStatus(offer.status),
        reason=CheckinReason(offer.reason),
        message=offers.message(offer),
        event_date=offer.event_date,
        offered_at=offer.offered_at,
        reminded=offer.reminded,
    )


@router.get("/checkins/link", summary="Whether the caller receives check-ins")
async def get_link(account: Member, session: SessionDep) -> LinkOut:
    return _link_view(await links.get_link(session, account=account))


@router.put("/checkins/link", summary="Opt in: link the staff identifier (only its hash is kept)")
async def put_link(
    body: LinkIn, account: Member, session: SessionDep, keys: CheckinKeysDep, now: Now
) -> LinkOut:
    link = await links.link(
        session, account=account, staff_identifier=body.staff_identifier, team=body.team,
        keys=keys, now=now,
    )  # fmt: skip
    await session.commit()
    return _link_view(link)


@router.delete("/checkins/link", summary="Opt out: forget the link and unsent check-ins")
async def delete_link(account: Member, session: SessionDep) -> LinkOut:
    await links.unlink(session, account=account)
    await session.commit()
    return LinkOut(linked=False)


@router.get("/checkins", summary="The caller's check-ins waiting for an answer")
async def list_checkins(account: Member, session: SessionDep) -> list[CheckinOut]:
    return [checkin_view(offer) for offer in await offers.visible_for(session, account=account)]


@router.post("/checkins/{checkin_id}/accept", summary="'Talk to a peer': opens a support request")
async def accept_checkin(
    checkin_id: uuid.UUID, account: Member, state: StateDep, now: Now
) -> CheckinAccepted:
    offer, request_id = await offers.accept(
        state.db, account=account, offer_id=checkin_id, now=now, settings=state.settings,
        notify=state.notify, source=state.roster,
    )  # fmt: skip
    async with state.db.session() as session:
        request = await requests.get_own_request(session, account=account, request_id=request_id)
        out = await request_view(
            session, request=request, crisis_resources=state.settings.crisis_resources
        )
    return CheckinAccepted(checkin=checkin_view(offer), request=out)


@router.post("/checkins/{checkin_id}/snooze", summary="'Not now': one reminder later")
async def snooze_checkin(
    checkin_id: uuid.UUID, account: Member, session: SessionDep, state: StateDep, now: Now
) -> CheckinOut:
    reminder = timedelta(seconds=state.settings.checkin_reminder_seconds)
    offer = await offers.snooze(
        session, account=account, offer_id=checkin_id, now=now, reminder=reminder
    )
    await session.commit()
    return checkin_view(offer)


@router.post("/checkins/{checkin_id}/decline", summary="'No thanks'")
async def decline_checkin(
    checkin_id: uuid.UUID, account: Member, session: SessionDep, now: Now
) -> CheckinOut:
    offer = await offers.decline(session, account=account, offer_id=checkin_id, now=now)
    await session.commit()
    return checkin_view(offer)
