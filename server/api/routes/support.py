"""Support requests (for those asking) and offers (for supporters)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from server.accounts.roles import Role
from server.api.deps import Now, RequireRole, SessionDep, StateDep, account_rate_limit, declares
from server.api.schemas import (
    OfferOut,
    OfferStatusOut,
    RoomOut,
    SupportRequestIn,
    SupportRequestOut,
)
from server.api.views import offer_view, offered_view, request_view, room_view
from server.db.models import Account
from server.federation import forwarding, shared_rooms
from server.federation.forwarding import Forwarder
from server.push.kinds import PushKind
from server.rooms import rooms
from server.support import matchmaker, offers, requests
from server.support.states import OfferStatus

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["support"])
Member = Annotated[Account, Depends(RequireRole(Role.CLINICIAN, Role.SUPPORTER))]
Supporter = Annotated[Account, Depends(RequireRole(Role.SUPPORTER))]


async def _view(state: StateDep, account: Account, request_id: uuid.UUID) -> SupportRequestOut:
    async with state.db.session() as session:
        request = await requests.get_own_request(session, account=account, request_id=request_id)
        return await request_view(
            session, request=request, crisis_resources=state.settings.crisis_resources
        )


# Opening and cancelling share one per-account budget: each round offers a supporter something.
RequestChurn = account_rate_limit("request_limiter")


@router.post(
    "/support-requests",
    status_code=status.HTTP_201_CREATED,
    dependencies=[RequestChurn],
    summary="Ask for support: ranks supporters of other institutions and offers the best",
)
@declares(409)
async def create_request(
    body: SupportRequestIn, account: Member, session: SessionDep, state: StateDep, now: Now
) -> SupportRequestOut:
    if matchmaker.pooled(state.settings, body.urgency):  # the batch window offers it
        request = await requests.open_request(
            session, account=account, topics=body.topics, urgency=body.urgency,
            languages=body.languages, same_specialty_only=body.same_specialty_only, now=now,
        )  # fmt: skip
        await session.commit()
        return await _view(state, account, request.id)
    request = requests.new_request(
        account=account, topics=body.topics, urgency=body.urgency, languages=body.languages,
        same_specialty_only=body.same_specialty_only, now=now,
    )  # fmt: skip
    # Saved and, usually, offered in one transaction: what was made is what is answered.
    expires = await matchmaker.open_and_offer(
        state.db, session, request=request, now=now, settings=state.settings,
        notify=state.notify, source=state.roster, forward=Forwarder(state.db, state.federation),
    )  # fmt: skip
    if expires is not None:
        return offered_view(request, offer_expires_at=expires, updated_at=now)
    return await _view(state, account, request.id)


@router.get("/support-requests/{request_id}", summary="Status of the caller's request")
async def get_request(
    request_id: uuid.UUID, account: Member, session: SessionDep, state: StateDep, now: Now
) -> SupportRequestOut:
    await requests.get_own_request(session, account=account, request_id=request_id)
    await matchmaker.expire(
        state.db,
        now=now,
        settings=state.settings,
        request_id=request_id,
        notify=state.notify,
        source=state.roster,
    )
    return await _view(state, account, request_id)


@router.post(
    "/support-requests/{request_id}/cancel",
    dependencies=[RequestChurn],
    summary="Cancel an open request",
)
async def cancel_request(
    request_id: uuid.UUID, account: Member, session: SessionDep, state: StateDep, now: Now
) -> SupportRequestOut:
    request = await requests.cancel_request(
        session, account=account, request_id=request_id, now=now
    )
    # A forwarded request: the peer node drops its stand-in request (and any pending offer).
    await forwarding.on_cancelled(session, request_id=request_id, now=now)
    await session.commit()
    state.federation.wake()
    return await request_view(
        session, request=request, crisis_resources=state.settings.crisis_resources
    )


@router.post(
    "/support-requests/{request_id}/keep-looking",
    summary="Keep looking for me: an unavailable request waits for a supporter to be free",
)
async def keep_looking(
    request_id: uuid.UUID, account: Member, session: SessionDep, state: StateDep, now: Now
) -> SupportRequestOut:
    request = await requests.keep_looking(session, account=account, request_id=request_id, now=now)
    await session.commit()
    # Someone may be free already.
    await matchmaker.retry_waiting(
        state.db, now=now, settings=state.settings, notify=state.notify, source=state.roster
    )
    await session.refresh(request)
    return await request_view(
        session, request=request, crisis_resources=state.settings.crisis_resources
    )


@router.get("/offers", summary="The supporter's pending offers (no identities)")
async def list_offers(account: Supporter, session: SessionDep, now: Now) -> list[OfferOut]:
    found = await offers.pending_offers_for(session, account=account, now=now)
    return [await offer_view(session, offer=offer, request=request) for offer, request in found]


@router.post("/offers/{offer_id}/accept", summary="Accept an offer: opens the room")
async def accept_offer(
    offer_id: uuid.UUID, account: Supporter, session: SessionDep, state: StateDep, now: Now
) -> RoomOut:
    await matchmaker.expire(
        state.db, now=now, settings=state.settings, notify=state.notify, source=state.roster
    )
    offer = await offers.take_offer(session, account=account, offer_id=offer_id, now=now)
    room = await rooms.create_room(session, offer=offer, now=now)
    found = await rooms.membership(session, account=account, room_id=room.id)
    # A stand-in's request: the room also opens on the requester's node (via the outbox).
    await shared_rooms.share(session, found=found, now=now)
    await session.commit()
    state.federation.wake()
    await state.notify(found.peer.account_id, "request", request=offer.request_id)
    await state.notify(found.peer.account_id, "room", room=room.id)
    state.push.push(found.peer.account_id, PushKind.MATCHED)
    return room_view(found)


@router.post("/offers/{offer_id}/decline", summary="Decline an offer: the next candidate gets it")
async def decline_offer(
    offer_id: uuid.UUID, account: Supporter, session: SessionDep, state: StateDep, now: Now
) -> OfferStatusOut:
    await matchmaker.expire(
        state.db, now=now, settings=state.settings, notify=state.notify, source=state.roster
    )
    offer = await offers.decline_offer(session, account=account, offer_id=offer_id, now=now)
    await session.commit()
    await matchmaker.find_supporter(
        state.db, request_id=offer.request_id, now=now, settings=state.settings,
        notify=state.notify, source=state.roster,
        forward=Forwarder(state.db, state.federation),
    )  # fmt: skip
    return OfferStatusOut(id=offer.id, status=OfferStatus(offer.status))
