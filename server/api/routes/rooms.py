"""Rooms: details, room-scoped identities, the key directory, leave / close / block."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto.encoding import b64encode
from server.accounts.roles import Role
from server.api.deps import Now, RequireRole, SessionDep, StateDep
from server.api.schemas import BundleOut, PreKeysIn, PreKeysOut, RoomIdentityIn, RoomOut
from server.api.views import room_view
from server.db.models import Account
from server.rooms import prekeys as keydir
from server.rooms import rooms
from server.state import AppState

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/rooms", tags=["rooms"])
# Moderators are members of the private rooms they open with a member who flagged.
Member = Annotated[Account, Depends(RequireRole(Role.CLINICIAN, Role.SUPPORTER, Role.MODERATOR))]


@router.get("", summary="The caller's rooms")
async def list_rooms(account: Member, session: SessionDep) -> list[RoomOut]:
    return [room_view(found) for found in await rooms.list_rooms(session, account=account)]


@router.get("/{room_id}", summary="A room: pseudonyms and room-scoped keys only")
async def get_room(room_id: uuid.UUID, account: Member, session: SessionDep) -> RoomOut:
    return room_view(await rooms.membership(session, account=account, room_id=room_id))


@router.put("/{room_id}/identity", summary="Register a room identity, signed by the device key")
async def put_identity(
    room_id: uuid.UUID,
    body: RoomIdentityIn,
    account: Member,
    session: SessionDep,
    state: StateDep,
    now: Now,
) -> RoomOut:
    found = await rooms.register_identity(
        session,
        account=account,
        room_id=room_id,
        identity_key_b64=body.identity_key,
        signature_b64=body.signature,
        origin=state.settings.origin,
        now=now,
    )
    view = room_view(found)
    await session.commit()
    return view


@router.post("/{room_id}/prekeys", summary="Upload a signed prekey and one-time prekeys")
async def post_prekeys(
    room_id: uuid.UUID,
    body: PreKeysIn,
    account: Member,
    session: SessionDep,
    state: StateDep,
    now: Now,
) -> PreKeysOut:
    spk = body.signed_prekey
    available = await keydir.upload_prekeys(
        session,
        account=account,
        room_id=room_id,
        signed_prekey=None
        if spk is None
        else keydir.PreKeyUpload(spk.key_id, spk.public_key, spk.signature),
        one_time_prekeys=[
            keydir.PreKeyUpload(k.key_id, k.public_key) for k in body.one_time_prekeys
        ],
        max_one_time=state.settings.max_one_time_prekeys,
        now=now,
    )
    found = await rooms.membership(session, account=account, room_id=room_id)
    await session.commit()
    # The peer may be waiting for this member's bundle to start X3DH.
    await state.notify(found.peer.account_id, "room", room=room_id)
    return PreKeysOut(one_time_prekeys_available=available)


@router.post(
    "/{room_id}/peer-bundle",
    summary="Fetch the peer's bundle (claims a one-time prekey while the peer has one)",
)
async def claim_bundle(
    room_id: uuid.UUID, account: Member, session: SessionDep, state: StateDep, now: Now
) -> BundleOut:
    bundle = await keydir.claim_bundle(session, account=account, room_id=room_id, now=now)
    await session.commit()
    if bundle.one_time_prekeys_left < state.settings.prekeys_low_threshold:
        # The owner's client uploads more (docs/protocol.md section 13, `prekeys_low`).
        await state.notify(
            bundle.owner_account_id,
            "prekeys_low",
            room=room_id,
            available=bundle.one_time_prekeys_left,
        )
    body: dict[str, str | int] = {
        "ik": b64encode(bundle.identity_key),
        "spk_id": bundle.signed_prekey_id,
        "spk": b64encode(bundle.signed_prekey),
        "spk_sig": b64encode(bundle.signed_prekey_signature),
    }
    if bundle.one_time_prekey_id is not None and bundle.one_time_prekey is not None:
        body["opk_id"] = bundle.one_time_prekey_id
        body["opk"] = b64encode(bundle.one_time_prekey)
    return BundleOut(member_id=bundle.member_id, bundle=body)


_Ending = Callable[..., Awaitable[rooms.Membership]]


async def _end(
    step: _Ending,
    room_id: uuid.UUID,
    account: Account,
    session: AsyncSession,
    state: AppState,
    now: datetime,
) -> RoomOut:
    """Leave, close or block: commit, then tell the peer to re-read the room."""
    found = await step(session, account=account, room_id=room_id, now=now)
    await session.commit()
    await state.notify(found.peer.account_id, "room", room=room_id)
    return room_view(found)


@router.post("/{room_id}/leave", summary="Leave the room (a room of two then closes)")
async def leave(
    room_id: uuid.UUID, account: Member, session: SessionDep, state: StateDep, now: Now
) -> RoomOut:
    return await _end(rooms.leave_room, room_id, account, session, state, now)


@router.post("/{room_id}/close", summary="Close the room for both members")
async def close(
    room_id: uuid.UUID, account: Member, session: SessionDep, state: StateDep, now: Now
) -> RoomOut:
    return await _end(rooms.close_room, room_id, account, session, state, now)


@router.post("/{room_id}/block", summary="Block the peer: close, and never match the pair again")
async def block(
    room_id: uuid.UUID, account: Member, session: SessionDep, state: StateDep, now: Now
) -> RoomOut:
    return await _end(rooms.block_peer, room_id, account, session, state, now)
