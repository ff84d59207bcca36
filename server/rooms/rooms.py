"""Rooms: two members under per-room pseudonyms, each with a room-scoped identity key.

A member's room identity is a fresh Ed25519 key the client makes for this room alone. It is
registered once, under a signature of the member's *device* key over
`crypto.statements.room_identity_statement` (origin, room id, member id, room key). The server
checks that signature against the caller's account key; the peer only ever sees the
room key, the member id (room-scoped) and the pseudonym, so two rooms cannot be linked to one
person by what the peer sees. Functions take the caller's session and never commit.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.taxonomy import load_taxonomy
from server.accounts.statements import parse_identity_key, verify_room_identity
from server.db.changes import touch_supporter
from server.db.models import Account, Block, Offer, Profile, Room, RoomMember, SupportRequest
from server.db.upsert import insert_if_missing
from server.errors import Conflict, InvalidInput, NotFound, RoomClosed
from server.rooms.states import ROOM, MemberRole, RoomKind, RoomStatus, room_status

__all__ = [
    "MODERATOR_HANDLE",
    "Membership",
    "block_peer",
    "close_for_moderation",
    "close_room",
    "create_moderation_room",
    "create_room",
    "experience_band",
    "leave_room",
    "list_rooms",
    "membership",
    "register_identity",
    "require_open",
]

_ADJECTIVES = (
    "Amber", "Brave", "Calm", "Clear", "Gentle", "Golden", "Kind", "Patient", "Quiet", "Silver",
    "Steady", "Warm", "Bright", "Hopeful", "Mellow", "Serene", "Sunny", "Tidal", "Wise", "Young",
)  # fmt: skip
_NOUNS = (
    "Alder", "Birch", "Cedar", "Crane", "Dove", "Fern", "Finch", "Harbor", "Heron", "Juniper",
    "Lark", "Maple", "Meadow", "Otter", "Owl", "Pine", "River", "Robin", "Spruce", "Willow",
)  # fmt: skip


def experience_band(years: int) -> str:
    """Years of experience as the coarse band a peer may see."""
    if years < 5:
        return "under 5 years"
    if years < 10:
        return "5-9 years"
    if years < 20:
        return "10-19 years"
    return "20+ years"


def _handle() -> str:
    return f"{secrets.choice(_ADJECTIVES)} {secrets.choice(_NOUNS)} {secrets.randbelow(90) + 10}"


def _member(room: Room, account_id: uuid.UUID, role: MemberRole, profile: Profile) -> RoomMember:
    return RoomMember(
        room_id=room.id,
        account_id=account_id,
        role=role,
        handle=_handle(),
        specialty_label=load_taxonomy().get(profile.specialty).label,
        experience_band=experience_band(profile.years_experience),
    )


async def create_room(session: AsyncSession, *, offer: Offer, now: datetime) -> Room:
    """The room for an accepted offer, with both members and their pseudonyms."""
    request = await session.get(SupportRequest, offer.request_id)
    assert request is not None
    profiles = {}
    for account_id in (request.requester_id, offer.supporter_id):
        profile = await session.get(Profile, account_id)
        if profile is None:
            raise Conflict("a member has no profile")
        profiles[account_id] = profile
    room = Room(
        request_id=request.id, kind=RoomKind.SUPPORT, topics=list(request.topics), created_at=now
    )
    session.add(room)
    await session.flush()
    requester = _member(
        room, request.requester_id, MemberRole.REQUESTER, profiles[request.requester_id]
    )
    supporter = _member(
        room, offer.supporter_id, MemberRole.SUPPORTER, profiles[offer.supporter_id]
    )
    if supporter.handle == requester.handle:
        supporter.handle = f"{supporter.handle}b"
    session.add_all([requester, supporter])
    await session.flush()
    return room


MODERATOR_HANDLE = "Moderator"


async def create_moderation_room(
    session: AsyncSession, *, member_id: uuid.UUID, moderator_id: uuid.UUID, now: datetime
) -> Room:
    """A private room between a moderator (shown only as "Moderator") and `member_id`'s account.

    The member keeps a fresh pseudonym; the same identity, prekey and relay machinery applies.
    """
    member = await session.get(RoomMember, member_id)
    if member is None:
        raise NotFound("no such member")
    room = Room(kind=RoomKind.MODERATION, topics=[], created_at=now)
    session.add(room)
    await session.flush()
    profile = await session.get(Profile, member.account_id)
    session.add_all([
        RoomMember(
            room_id=room.id, account_id=member.account_id, role=MemberRole.REQUESTER,
            handle=_handle(),
            specialty_label=load_taxonomy().get(profile.specialty).label if profile else "",
            experience_band=experience_band(profile.years_experience) if profile else "",
        ),
        RoomMember(
            room_id=room.id, account_id=moderator_id, role=MemberRole.MODERATOR,
            handle=MODERATOR_HANDLE, specialty_label="Peer-support moderator", experience_band="",
        ),
    ])  # fmt: skip
    await session.flush()
    return room


@dataclass(frozen=True)
class Membership:
    """A room seen by one member: their own row and the peer's."""

    room: Room
    me: RoomMember
    peer: RoomMember


async def membership(session: AsyncSession, *, account: Account, room_id: uuid.UUID) -> Membership:
    """The caller's membership; NotFound when the room does not exist or they are not in it."""
    room = await session.get(Room, room_id)
    members = (await session.exec(select(RoomMember).where(RoomMember.room_id == room_id))).all()
    me = next((m for m in members if m.account_id == account.id), None)
    peer = next((m for m in members if m.account_id != account.id), None)
    if room is None or me is None or peer is None:
        raise NotFound("no such room")
    return Membership(room=room, me=me, peer=peer)


async def list_rooms(session: AsyncSession, *, account: Account) -> list[Membership]:
    room_ids = await session.exec(
        select(RoomMember.room_id).where(RoomMember.account_id == account.id)
    )
    found = [await membership(session, account=account, room_id=r) for r in room_ids.all()]
    return sorted(found, key=lambda ms: ms.room.created_at, reverse=True)


def require_open(found: Membership) -> None:
    """RoomClosed once the room is closed; Conflict once the caller has left it."""
    if room_status(found.room.closed_at) is RoomStatus.CLOSED:
        raise RoomClosed("the room is closed")
    if found.me.left_at is not None:
        raise Conflict("you have left this room")


async def register_identity(
    session: AsyncSession,
    *,
    account: Account,
    room_id: uuid.UUID,
    identity_key_b64: str,
    signature_b64: str,
    origin: str,
    now: datetime,
) -> Membership:
    """Register the caller's room identity, once. InvalidInput for a bad key or signature,
    Conflict when already registered (a replayed registration changes nothing) or reused."""
    found = await membership(session, account=account, room_id=room_id)
    require_open(found)
    room_key = parse_identity_key(identity_key_b64)
    verify_room_identity(
        device_key=account.identity_key, origin=origin, room_id=room_id, member_id=found.me.id,
        room_key=room_key, signature_b64=signature_b64,
    )  # fmt: skip
    if room_key == account.identity_key:
        raise InvalidInput("the room identity must be a fresh key, not your device key")
    if found.me.identity_key is not None:
        raise Conflict("you already registered a room identity in this room")
    reused = Conflict("this key is already registered; make a fresh key per room")
    in_rooms = select(RoomMember.id).where(RoomMember.identity_key == room_key)
    as_device = select(Account.id).where(Account.identity_key == room_key)
    if (await session.exec(in_rooms)).first() or (await session.exec(as_device)).first():
        raise reused  # a device key would link the room to an account
    try:
        claimed = await session.exec(
            sa.update(RoomMember)
            .where(col(RoomMember.id) == found.me.id, col(RoomMember.identity_key).is_(None))
            .values(identity_key=room_key, joined_at=now)
        )
    except IntegrityError:  # the same key registered concurrently elsewhere
        raise reused from None
    if claimed.rowcount != 1:
        raise Conflict("you already registered a room identity in this room")
    await session.refresh(found.me)
    return found


async def close_room(
    session: AsyncSession, *, account: Account, room_id: uuid.UUID, now: datetime
) -> Membership:
    """End the conversation for both members (idempotent)."""
    found = await membership(session, account=account, room_id=room_id)
    if room_status(found.room.closed_at) is RoomStatus.OPEN:
        ROOM(RoomStatus.OPEN, RoomStatus.CLOSED)
        found.room.closed_at = now
        session.add(found.room)
        await session.flush()
        _supporter_freed(session, found)
    return found


async def close_for_moderation(
    session: AsyncSession, *, room_id: uuid.UUID, now: datetime
) -> list[RoomMember]:
    """Close a room on a moderator's decision (idempotent); returns its members to tell."""
    room = await session.get(Room, room_id)
    if room is None:
        raise NotFound("no such room")
    if room_status(room.closed_at) is RoomStatus.OPEN:
        ROOM(RoomStatus.OPEN, RoomStatus.CLOSED)
        room.closed_at = now
        session.add(room)
        await session.flush()
        # As `close_room`: matching must hear of a freed supporter.
        query = select(RoomMember).where(RoomMember.room_id == room_id)
        for member in (await session.exec(query)).all():
            if member.role == MemberRole.SUPPORTER:
                touch_supporter(session, member.account_id)
    return list((await session.exec(select(RoomMember).where(RoomMember.room_id == room_id))).all())
def _supporter_freed(session: AsyncSession, found: Membership) -> None:
    # The supporter carries one conversation less: matching must hear of it.
    for member in (found.me, found.peer):
        if member.role == MemberRole.SUPPORTER:
            touch_supporter(session, member.account_id)


async def leave_room(
    session: AsyncSession, *, account: Account, room_id: uuid.UUID, now: datetime
) -> Membership:
    """Leave; a room of two is closed when either member leaves. Conflict if already left."""
    found = await membership(session, account=account, room_id=room_id)
    if found.me.left_at is not None:
        raise Conflict("you have left this room")
    found.me.left_at = now
    session.add(found.me)
    await session.flush()
    return await close_room(session, account=account, room_id=room_id, now=now)


async def block_peer(
    session: AsyncSession, *, account: Account, room_id: uuid.UUID, now: datetime
) -> Membership:
    """Never be matched with this peer again (either direction), and close the room."""
    found = await membership(session, account=account, room_id=room_id)
    # A double tap blocks twice at once: the second insert is a no-op, not an error.
    await insert_if_missing(
        session, Block, blocker_id=account.id, blocked_id=found.peer.account_id, created_at=now
    )
    return await close_room(session, account=account, room_id=room_id, now=now)
