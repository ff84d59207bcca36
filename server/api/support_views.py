"""Table rows of profiles, requests, offers and rooms → API schemas.

Room and offer views are built from pseudonymous fields only: what a peer may see.
"""

from __future__ import annotations

from typing import Literal, cast

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.taxonomy import load_taxonomy
from server.api.schemas import (
    DailyHours,
    MemberOut,
    OfferOut,
    ProfileOut,
    RequestStatus,
    RoomOut,
    SupporterProfileOut,
    SupportRequestOut,
)
from server.db.models import Offer, Profile, Room, RoomMember, SupporterProfile, SupportRequest
from server.identity import b64encode
from server.rooms import Membership, experience_band
from server.support import pending_offer

__all__ = ["offer_view", "profile_view", "request_view", "room_view", "supporter_profile_view"]


def profile_view(profile: Profile) -> ProfileOut:
    return ProfileOut(
        specialty=profile.specialty,
        specialty_label=load_taxonomy().get(profile.specialty).label,
        years_experience=profile.years_experience,
        career_stage=profile.career_stage,
        languages=profile.languages,
        time_zone=profile.time_zone,
    )


def supporter_profile_view(found: SupporterProfile) -> SupporterProfileOut:
    return SupporterProfileOut(
        topic_expertise=found.topic_expertise,
        concurrent_cap=found.concurrent_cap,
        weekly_cap=found.weekly_cap,
        available=found.available,
        daily_hours=[DailyHours(start=a, end=b) for a, b in found.daily_hours],
    )


async def request_view(
    session: AsyncSession, *, request: SupportRequest, crisis_resources: tuple[str, ...]
) -> SupportRequestOut:
    offer = None
    if request.status == "offered":
        offer = await pending_offer(session, request_id=request.id)
    room_id = None
    if request.status == "matched":
        room_id = (await session.exec(select(Room.id).where(Room.request_id == request.id))).first()
    return SupportRequestOut(
        id=request.id,
        status=cast(RequestStatus, request.status),
        topics=request.topics,
        urgency=request.urgency,
        created_at=request.created_at,
        updated_at=request.updated_at,
        offer_expires_at=offer.expires_at if offer else None,
        room_id=room_id,
        crisis_resources=list(crisis_resources) if request.status == "unavailable" else [],
    )


async def offer_view(session: AsyncSession, *, offer: Offer, request: SupportRequest) -> OfferOut:
    profile = await session.get(Profile, request.requester_id)
    assert profile is not None
    return OfferOut(
        id=offer.id,
        topics=request.topics,
        urgency=request.urgency,
        requester_specialty=load_taxonomy().get(profile.specialty).label,
        requester_experience_band=experience_band(profile.years_experience),
        summary=offer.explanation[0] if offer.explanation else "",
        reasons=offer.explanation[1:],
        score=offer.score,
        expires_at=offer.expires_at,
    )


def _member(member: RoomMember) -> MemberOut:
    return MemberOut(
        member_id=member.id,
        handle=member.handle,
        specialty=member.specialty_label,
        experience_band=member.experience_band,
        identity_key=b64encode(member.identity_key) if member.identity_key else None,
        left=member.left_at is not None,
    )


def room_view(found: Membership) -> RoomOut:
    status: Literal["open", "closed"] = "closed" if found.room.closed_at is not None else "open"
    return RoomOut(
        id=found.room.id,
        status=status,
        topics=found.room.topics,
        created_at=found.room.created_at,
        me=_member(found.me),
        peer=_member(found.peer),
    )
