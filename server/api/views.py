"""Table rows → API schemas.

Room and offer views are built from pseudonymous fields only: what a peer may see.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto.encoding import b64encode
from matching.taxonomy import load_taxonomy
from server.accounts import directory
from server.accounts.invites import invite_status
from server.accounts.roles import Role
from server.api.schemas import (
    DailyHours,
    InviteOut,
    MemberOut,
    MeOut,
    OfferOut,
    OrgOut,
    ProfileOut,
    RoomOut,
    SupporterProfileOut,
    SupportRequestOut,
)
from server.db.models import (
    Account,
    Invite,
    Offer,
    Profile,
    Room,
    RoomMember,
    SupporterProfile,
    SupportRequest,
)
from server.rooms.prekeys import Bundle
from server.rooms.rooms import Membership, experience_band
from server.rooms.states import RoomKind, room_status
from server.support.offers import pending_offer
from server.support.states import RequestStatus

__all__ = [
    "bundle_json",
    "invite_view",
    "me_view",
    "offer_view",
    "offered_view",
    "profile_view",
    "request_view",
    "room_view",
    "supporter_profile_view",
]


async def me_view(session: AsyncSession, *, account: Account) -> MeOut:
    institution = await directory.get_institution(session, institution_id=account.institution_id)
    network = await directory.get_network(session, network_id=institution.network_id)
    return MeOut(
        account_id=account.id,
        role=Role(account.role),
        institution=OrgOut(id=institution.id, slug=institution.slug, name=institution.name),
        network=OrgOut(id=network.id, slug=network.slug, name=network.name),
    )


def invite_view(invite: Invite, *, now: datetime) -> InviteOut:
    return InviteOut(
        id=invite.id,
        institution_id=invite.institution_id,
        role=Role(invite.role),
        status=invite_status(invite, now=now),
        created_at=invite.created_at,
        expires_at=invite.expires_at,
    )


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
    status = RequestStatus(request.status)
    offer = None
    if status is RequestStatus.OFFERED:
        offer = await pending_offer(session, request_id=request.id)
    room_id = None
    if status is RequestStatus.MATCHED:
        room_id = (await session.exec(select(Room.id).where(Room.request_id == request.id))).first()
    return SupportRequestOut(
        id=request.id,
        status=status,
        topics=request.topics,
        urgency=request.urgency,
        created_at=request.created_at,
        updated_at=request.updated_at,
        offer_expires_at=offer.expires_at if offer else None,
        room_id=room_id,
        crisis_resources=list(crisis_resources)
        if status in (RequestStatus.UNAVAILABLE, RequestStatus.WAITING)
        else [],
    )


def offered_view(
    request: SupportRequest, *, offer_expires_at: datetime, updated_at: datetime
) -> SupportRequestOut:
    """A request the caller has just offered (`matchmaker.open_and_offer`): nothing to read."""
    return SupportRequestOut(
        id=request.id,
        status=RequestStatus.OFFERED,
        topics=request.topics,
        urgency=request.urgency,
        created_at=request.created_at,
        updated_at=updated_at,
        offer_expires_at=offer_expires_at,
        room_id=None,
        crisis_resources=[],
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
    return RoomOut(
        id=found.room.id,
        kind=RoomKind(found.room.kind),
        status=room_status(found.room.closed_at),
        topics=found.room.topics,
        created_at=found.room.created_at,
        me=_member(found.me),
        peer=_member(found.peer),
    )


def bundle_json(bundle: Bundle) -> dict[str, str | int]:
    """A prekey bundle in `crypto.PreKeyBundle.from_json` form (without `opk` when the owner
    has no one-time prekey left: X3DH then runs with three DH)."""
    body: dict[str, str | int] = {
        "ik": b64encode(bundle.identity_key),
        "spk_id": bundle.signed_prekey_id,
        "spk": b64encode(bundle.signed_prekey),
        "spk_sig": b64encode(bundle.signed_prekey_signature),
    }
    if bundle.one_time_prekey_id is not None and bundle.one_time_prekey is not None:
        body["opk_id"] = bundle.one_time_prekey_id
        body["opk"] = b64encode(bundle.one_time_prekey)
    return body
