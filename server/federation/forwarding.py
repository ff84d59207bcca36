"""Forwarding: a request the home network cannot serve well goes to a peer node, pseudonymously.

Home node (the requester's): when the matchmaker finds no feasible local supporter, or only
ones scoring below `federation_forward_below_score`, `forward` picks the active peers of the
requester's network that the availability counts say can help, best first, and offers each a
pseudonymous request: specialty, experience band, languages, topics, urgency, the
same-specialty preference and a fresh random token. Never an account id, device key,
institution, network, name or time zone. The first peer that answers `offered` has it: the
request is `offered` here until the peer's `request.accepted` (room) or `request.unavailable`
(try the next peer, else give up) arrives through the outbox, or until its deadline
(`federation_forward_timeout_seconds`) passes: then `fall_back` tells the peer to drop it and
searches again (the next peer, else as a local request), and an answer arriving later is
refused and changes nothing (`server.federation.states.ForwardStatus`). With the request go the
room member ids of the peer's people the requester is blocked with (`server.federation.blocks`),
so a block made in a cross-node room holds for every later forwarded request.

Serving node (the peer): `receive` makes a stand-in requester (`server.federation.remote`) and a
stand-in request in the peer's network, which its own matchmaker ranks, offers and reserves
like any local request; its supporter's answer travels back as events. A stand-in request is
never forwarded again.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.taxonomy import load_taxonomy
from matching.vocabulary import Topic, Urgency
from server.accounts.roles import Role
from server.config import Settings
from server.db.engine import Database
from server.db.models import (
    Account,
    FederatedRequest,
    FederationPeer,
    Institution,
    Profile,
    SupportRequest,
)
from server.errors import InvalidInput, ServiceError
from server.federation import availability, blocks, outbox, peering, remote
from server.federation.gateway import Gateway
from server.federation.states import FORWARD, ForwardStatus
from server.platform.notify import SILENT, Notifier
from server.rooms.rooms import experience_band
from server.support import matchmaker, pool, requests
from server.support.states import REQUEST, RequestStatus

__all__ = [
    "REQUESTS_PATH",
    "ForwardedRequest",
    "Forwarder",
    "back_to_searching",
    "expire_overdue",
    "fall_back",
    "forward",
    "on_cancelled",
    "outbound",
    "rank_peers",
    "receive",
]

log = logging.getLogger(__name__)
REQUESTS_PATH = "/federation/v1/requests"
UNAVAILABLE = "request.unavailable"
CANCELLED = "request.cancelled"


class ForwardedRequest(BaseModel):
    """What crosses to the peer: nothing that names or locates the requester."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    specialty: str = Field(max_length=32)
    experience_band: str = Field(max_length=32)
    languages: list[str] = Field(min_length=1, max_length=10)
    topics: list[Topic] = Field(min_length=1, max_length=5)
    urgency: Urgency
    same_specialty_only: bool = False
    # Room member ids (rooms shared with this peer) of its people the requester is blocked with.
    avoid: list[uuid.UUID] = Field(default_factory=list, max_length=blocks.MAX_AVOID)

    def check(self) -> None:
        """InvalidInput for an unknown specialty, band or language code."""
        if self.specialty not in load_taxonomy():
            raise InvalidInput("unknown specialty code")
        if self.experience_band not in remote.BAND_YEARS:
            raise InvalidInput("unknown experience band")
        if not all(len(x) == 2 and x.isalpha() and x.islower() for x in self.languages):
            raise InvalidInput("languages are two-letter lowercase codes")


def rank_peers(peers: list[FederationPeer], wanted: ForwardedRequest) -> list[FederationPeer]:
    """Peers whose counts show a supporter for the specialty group and a shared language, most
    promising first (the smallest of the matching counts, then topic overlap)."""
    group = availability.specialty_group(wanted.specialty)

    def fit(peer: FederationPeer) -> tuple[int, int]:
        counts = peer.availability or {}
        languages = sum(counts.get("language", {}).get(x, 0) for x in wanted.languages)
        groups = counts.get("specialty_group", {}).get(group, 0)
        topics = sum(counts.get("topic", {}).get(t.value, 0) for t in wanted.topics)
        return min(languages, groups), topics

    able = [p for p in peers if fit(p)[0] > 0]
    return sorted(able, key=fit, reverse=True)


async def _requester_view(
    session: AsyncSession, request: SupportRequest
) -> tuple[ForwardedRequest, uuid.UUID]:
    account = await session.get(Account, request.requester_id)
    profile = await session.get(Profile, request.requester_id)
    assert account is not None and profile is not None
    institution = await session.get(Institution, account.institution_id)
    assert institution is not None
    wanted = ForwardedRequest(
        token=secrets.token_urlsafe(24),
        specialty=profile.specialty,
        experience_band=experience_band(profile.years_experience),
        languages=list(request.languages or profile.languages),
        topics=[Topic(t) for t in request.topics],
        urgency=Urgency(request.urgency),
        same_specialty_only=request.same_specialty_only,
    )
    return wanted, institution.network_id


async def _tell_home_we_gave_up(
    session: AsyncSession, gateway: Gateway, inbound: FederatedRequest, now: datetime
) -> None:
    await outbox.enqueue(
        session,
        peer_id=inbound.peer_id,
        kind=UNAVAILABLE,
        payload={"token": inbound.token},
        now=now,
    )
    await session.commit()
    gateway.wake()


async def forward(
    db: Database,
    gateway: Gateway,
    *,
    request_id: uuid.UUID,
    best_local: float | None,
    now: datetime,
) -> bool:
    """Try the peers for a searching request; True when one offered it (it is `offered` now).

    For a stand-in request (one a peer forwarded here) nothing is forwarded: when no local
    supporter is left (`best_local` None), its home node is told, and False lets the matchmaker
    give it up here.
    """
    async with db.session() as session:
        request = await session.get(SupportRequest, request_id)
        if request is None or request.status != RequestStatus.SEARCHING:
            return False
        inbound = (
            await session.exec(
                select(FederatedRequest).where(
                    FederatedRequest.request_id == request_id, col(FederatedRequest.inbound)
                )
            )
        ).first()
        if inbound is not None:
            if best_local is None:
                await _tell_home_we_gave_up(session, gateway, inbound, now)
            return False
        wanted, network_id = await _requester_view(session, request)
        tried = set(
            (
                await session.exec(
                    select(FederatedRequest.peer_id).where(
                        FederatedRequest.request_id == request_id
                    )
                )
            ).all()
        )
        peers = [
            p
            for p in await peering.active_peers(session)
            if p.network_id == network_id and p.id not in tried
        ]
        avoid = {
            p.id: await blocks.avoid_for(session, requester_id=request.requester_id, peer_id=p.id)
            for p in peers
        }
    deadline = now + timedelta(seconds=gateway.settings.federation_forward_timeout_seconds)
    for peer in rank_peers(peers, wanted):
        wanted = wanted.model_copy(
            update={"token": secrets.token_urlsafe(24), "avoid": avoid[peer.id]}
        )
        try:
            answer = await gateway.transport.call(
                peer.url, "POST", REQUESTS_PATH, wanted.model_dump(mode="json")
            )
        except ServiceError:
            continue
        offered = answer.ok and answer.body.get("status") == RequestStatus.OFFERED.value
        async with db.session() as session:
            moved = False
            if offered:
                result = await session.exec(
                    sa.update(SupportRequest)
                    .where(
                        col(SupportRequest.id) == request_id,
                        col(SupportRequest.status) == RequestStatus.SEARCHING,
                    )
                    .values(
                        status=REQUEST(RequestStatus.SEARCHING, RequestStatus.OFFERED),
                        updated_at=now,
                    )
                )
                moved = result.rowcount == 1
                if not moved:  # cancelled meanwhile: let the peer drop it
                    await outbox.enqueue(
                        session,
                        peer_id=peer.id,
                        kind=CANCELLED,
                        payload={"token": wanted.token},
                        now=now,
                    )
            # Only a request that moved awaits the peer's answer (and has a deadline).
            status = ForwardStatus.WAITING if moved else ForwardStatus.ANSWERED
            if offered and not moved:
                status = ForwardStatus.CANCELLED
            session.add(
                FederatedRequest(
                    peer_id=peer.id,
                    token=wanted.token,
                    request_id=request_id,
                    inbound=False,
                    created_at=now,
                    status=status,
                    deadline_at=deadline if moved else None,
                )
            )
            await session.commit()
        if moved:
            log.info("request %s forwarded to peer %s", request_id, peer.id)
            return True
    return False


@dataclass(frozen=True)
class Forwarder:
    """`support.matchmaker`'s hook, bound to this app's database and gateway."""

    db: Database
    gateway: Gateway

    async def __call__(self, request_id: uuid.UUID, best_local: float | None) -> bool:
        return await forward(
            self.db,
            self.gateway,
            request_id=request_id,
            best_local=best_local,
            now=self.gateway.clock(),
        )


def parse_forwarded(body: bytes) -> ForwardedRequest:
    try:
        wanted = ForwardedRequest.model_validate_json(body)
    except ValidationError:
        raise InvalidInput("the body is not a valid forwarded request") from None
    wanted.check()
    return wanted


async def receive(
    session: AsyncSession, *, peer: FederationPeer, wanted: ForwardedRequest, now: datetime
) -> uuid.UUID:
    """The stand-in request for a peer's forwarded request (made once per token)."""
    known = (
        await session.exec(
            select(FederatedRequest.request_id).where(
                FederatedRequest.peer_id == peer.id, FederatedRequest.token == wanted.token
            )
        )
    ).first()
    if known is not None:
        return known
    account = await remote.create_stand_in(
        session,
        peer=peer,
        role=Role.CLINICIAN,
        specialty=wanted.specialty,
        band=wanted.experience_band,
        languages=wanted.languages,
        now=now,
    )
    request = await requests.open_request(
        session,
        account=account,
        topics=[t.value for t in wanted.topics],
        urgency=wanted.urgency.value,
        languages=wanted.languages,
        same_specialty_only=wanted.same_specialty_only,
        now=now,
    )
    # Before the matchmaker ranks it: the people the requester is blocked with are never offered.
    await blocks.honour(session, peer=peer, stand_in_id=account.id, avoid=wanted.avoid, now=now)
    session.add(
        FederatedRequest(
            peer_id=peer.id, token=wanted.token, request_id=request.id, inbound=True, created_at=now
        )
    )
    await session.flush()
    return request.id


async def outbound(
    session: AsyncSession, *, peer: FederationPeer, token: Any
) -> FederatedRequest | None:
    """This node's record of a request it forwarded to `peer` under `token` (None: unknown)."""
    if not isinstance(token, str):
        return None
    return (
        await session.exec(
            select(FederatedRequest).where(
                FederatedRequest.peer_id == peer.id,
                FederatedRequest.token == token,
                col(FederatedRequest.inbound).is_(False),
            )
        )
    ).first()


async def home_request(
    session: AsyncSession, *, peer: FederationPeer, token: Any, inbound: bool
) -> SupportRequest | None:
    """The request behind `token` from `peer` (None when unknown)."""
    if not isinstance(token, str):
        return None
    request_id = (
        await session.exec(
            select(FederatedRequest.request_id).where(
                FederatedRequest.peer_id == peer.id,
                FederatedRequest.token == token,
                FederatedRequest.inbound == inbound,
            )
        )
    ).first()
    return None if request_id is None else await session.get(SupportRequest, request_id)


async def on_cancelled(session: AsyncSession, *, request_id: uuid.UUID, now: datetime) -> int:
    """The requester cancelled: tell the peer whose answer is awaited (in the caller's
    transaction). Returns the peers told."""
    rows = await session.exec(
        select(FederatedRequest).where(
            FederatedRequest.request_id == request_id,
            col(FederatedRequest.inbound).is_(False),
            FederatedRequest.status == ForwardStatus.WAITING,
        )
    )
    told = 0
    for forwarded in rows.all():
        forwarded.status = FORWARD(ForwardStatus.WAITING, ForwardStatus.CANCELLED)
        session.add(forwarded)
        await outbox.enqueue(
            session,
            peer_id=forwarded.peer_id,
            kind=CANCELLED,
            payload={"token": forwarded.token},
            now=now,
        )
        told += 1
    return told


async def back_to_searching(session: AsyncSession, *, request_id: uuid.UUID, now: datetime) -> bool:
    """The peer gave up on a forwarded request: `offered` → `searching` (for the next try)."""
    moved = await session.exec(
        sa.update(SupportRequest)
        .where(
            col(SupportRequest.id) == request_id,
            col(SupportRequest.status) == RequestStatus.OFFERED,
        )
        .values(status=REQUEST(RequestStatus.OFFERED, RequestStatus.SEARCHING), updated_at=now)
    )
    return bool(moved.rowcount == 1)


async def expire_overdue(
    session: AsyncSession, *, now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Forwarded requests whose peer did not answer by their deadline: `expired`, the peer told
    to drop its stand-in request, and the request `searching` again (in the caller's
    transaction). Returns (request, requester) for each request moved back."""
    overdue = await session.exec(
        select(FederatedRequest.id, FederatedRequest.peer_id, FederatedRequest.token,
               FederatedRequest.request_id)
        .where(
            col(FederatedRequest.inbound).is_(False),
            FederatedRequest.status == ForwardStatus.WAITING,
            col(FederatedRequest.deadline_at) <= now,
        )
        .limit(500)
    )  # fmt: skip
    moved = []
    for row_id, peer_id, token, request_id in overdue.all():
        FORWARD(ForwardStatus.WAITING, ForwardStatus.EXPIRED)
        # Conditional: another worker's sweep, or the answer itself, may have got there first.
        expired = await session.exec(
            sa.update(FederatedRequest)
            .where(
                col(FederatedRequest.id) == row_id,
                col(FederatedRequest.status) == ForwardStatus.WAITING,
            )
            .values(status=ForwardStatus.EXPIRED)
        )
        if expired.rowcount != 1:
            continue
        await outbox.enqueue(
            session, peer_id=peer_id, kind=CANCELLED, payload={"token": token}, now=now
        )
        if await back_to_searching(session, request_id=request_id, now=now):
            request = await session.get(SupportRequest, request_id)
            assert request is not None
            moved.append((request_id, request.requester_id))
            log.info("request %s: peer %s did not answer in time", request_id, peer_id)
    return moved


async def fall_back(
    db: Database,
    gateway: Gateway,
    *,
    now: datetime,
    settings: Settings,
    notify: Notifier = SILENT,
    source: pool.PoolSource | None = None,
) -> int:
    """The `federation-deadlines` job: expire overdue forwarded requests and search again for
    each (the peers not tried yet, else as a local request). Returns the requests moved."""
    async with db.session() as session:
        moved = await expire_overdue(session, now=now)
        await session.commit()
    if moved:
        gateway.wake()
    for request_id, requester_id in moved:
        await notify(requester_id, "request", request=request_id)
        await matchmaker.find_supporter(
            db, request_id=request_id, now=now, settings=settings, notify=notify,
            source=source, forward=Forwarder(db, gateway),
        )  # fmt: skip
    return len(moved)
