"""Stand-ins: a local account for one person on a peer node, in one forwarded request or room.

A stand-in belongs to the peer's shadow institution, holds a random 32-byte "device key" that
matches no private key anywhere, and is disabled from birth, so it can never log in or be
matched as a local supporter. It exists so that the matchmaker, offers, rooms, prekeys and the
mailbox work unchanged: an envelope to a stand-in waits in the mailbox like any other, and the
outbox takes it from there to the stand-in's node. One stand-in per request and room, so two
rooms with the same remote person cannot be linked on this node.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.vocabulary import CareerStage
from server.accounts.roles import Role
from server.db.models import Account, FederationPeer, Profile, RemoteMember, RoomMember
from server.errors import NotFound

__all__ = [
    "BAND_YEARS",
    "create_stand_in",
    "peer_of_account",
    "remote_accounts",
    "stand_in_in_room",
]

# An experience band as matching needs it: a representative number of years and a stage.
BAND_YEARS: dict[str, tuple[int, CareerStage]] = {
    "under 5 years": (3, CareerStage.RESIDENT),
    "5-9 years": (7, CareerStage.EARLY_CAREER),
    "10-19 years": (14, CareerStage.MID_CAREER),
    "20+ years": (25, CareerStage.SENIOR),
}


async def create_stand_in(
    session: AsyncSession,
    *,
    peer: FederationPeer,
    role: Role,
    specialty: str | None,
    band: str,
    languages: Sequence[str],
    now: datetime,
) -> Account:
    """A disabled stand-in account, with a profile built from what the peer may tell when a
    `specialty` is given (a requester the matchmaker must rank for)."""
    years, stage = BAND_YEARS[band]
    account = Account(
        institution_id=peer.shadow_institution_id,
        role=role,
        identity_key=secrets.token_bytes(32),
        created_at=now,
        disabled_at=now,
    )
    session.add(account)
    await session.flush()
    if specialty is not None:
        session.add(
            Profile(
                account_id=account.id,
                specialty=specialty,
                years_experience=years,
                career_stage=stage.value,
                languages=list(languages),
                time_zone="UTC",
                updated_at=now,
            )
        )
    session.add(RemoteMember(account_id=account.id, peer_id=peer.id, created_at=now))
    await session.flush()
    return account


async def peer_of_account(session: AsyncSession, account_id: uuid.UUID) -> FederationPeer | None:
    """The peer node a stand-in stands for; None for a local account."""
    row = await session.get(RemoteMember, account_id)
    return None if row is None else await session.get(FederationPeer, row.peer_id)


async def stand_in_in_room(
    session: AsyncSession, *, peer: FederationPeer, room_id: uuid.UUID, member_id: uuid.UUID
) -> RoomMember:
    """The room member `member_id` of `room_id`, if it is a stand-in for `peer`'s side; one
    NotFound otherwise (a peer can act only for its own people, only in rooms it shares)."""
    member = await session.get(RoomMember, member_id)
    remote = None if member is None else await session.get(RemoteMember, member.account_id)
    if member is None or member.room_id != room_id or remote is None or remote.peer_id != peer.id:
        raise NotFound("no such room member of yours")
    return member


async def remote_accounts(session: AsyncSession) -> set[uuid.UUID]:
    return set((await session.exec(select(col(RemoteMember.account_id)))).all())
