"""The server-to-server edge: the well-known node document, and the signed federation API.

Nothing under `/federation/v1/` takes a bearer token: each request must carry a valid RFC 9421
signature of an allowed peer (`server.federation.peering.authenticate`), checked before the body
is parsed. Refusals are problem details that name the class of failure and change nothing.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from server.api.deps import Now, SessionDep, StateDep, declares
from server.api.schemas_federation import HelloIn, HelloOut, NodeOut
from server.api.views import bundle_json
from server.db.models import Account, FederationPeer, FederationTransaction, SupportRequest
from server.db.upsert import insert_if_missing
from server.errors import InvalidInput, NotFound, ServiceError, Unavailable
from server.federation import availability, forwarding, inbox, outbox, peering, remote, shared_rooms
from server.federation.forwarding import Forwarder
from server.federation.handshake import PEERING_PATH
from server.federation.node import node_document
from server.federation.transport import WELL_KNOWN
from server.relay.socket import deliver_frame
from server.rooms import prekeys as keydir
from server.state import AppState
from server.support import matchmaker

__all__ = ["Signed", "parse", "router"]

router = APIRouter(tags=["federation (server to server)"])
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Signed:
    """An authenticated server-to-server request: the peer that signed it, and its body."""

    peer: FederationPeer
    body: bytes


async def _authenticate(
    request: Request, state: StateDep, session: SessionDep, *, pending_ok: bool
) -> Signed:
    body = await request.body()
    query = f"?{request.url.query}" if request.url.query else ""
    # Our own name, not the Host header: a signature for another node never verifies here.
    url = state.settings.origin + request.url.path + query
    peer = await peering.authenticate(
        session,
        method=request.method,
        url=url,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        now=state.clock(),
        window=state.federation.window,
        pending_ok=pending_ok,
    )
    # The nonce is spent now, whatever the handler does (a retry is signed afresh), and no
    # write lock is held while the handler's own writes (the relay's writer) commit.
    await session.commit()
    return Signed(peer=peer, body=body)


@declares(401, 403)
async def signed_by_active_peer(request: Request, state: StateDep, session: SessionDep) -> Signed:
    return await _authenticate(request, state, session, pending_ok=False)


@declares(401, 403)
async def signed_by_allowed_peer(request: Request, state: StateDep, session: SessionDep) -> Signed:
    return await _authenticate(request, state, session, pending_ok=True)


ActivePeer = Annotated[Signed, Depends(signed_by_active_peer)]
AllowedPeer = Annotated[Signed, Depends(signed_by_allowed_peer)]


def parse(model: type[M], body: bytes) -> M:
    """The body as `model`; InvalidInput (never quoting the body) when it is not."""
    try:
        return model.model_validate_json(body)
    except ValidationError:
        raise InvalidInput(f"the body is not a valid {model.__name__}") from None


@router.get(WELL_KNOWN, summary="This node: its name, key and protocol versions")
async def well_known(state: StateDep) -> NodeOut:
    return NodeOut(**node_document(state.federation.identity))


@router.post(PEERING_PATH, summary="Handshake: the signer allows this node; confirm if mutual")
async def hello(signed: AllowedPeer, session: SessionDep, state: StateDep, now: Now) -> HelloOut:
    body = parse(HelloIn, signed.body)
    if body.node != signed.peer.url:
        raise InvalidInput("the handshake names another node than the signer's")
    ours = await peering.institution_digests(
        session, ours=state.federation.identity.fingerprint, theirs=signed.peer.fingerprint
    )
    await peering.confirm(session, peer=signed.peer, ours=ours, theirs=body.institutions, now=now)
    await session.commit()
    return HelloOut(node=state.federation.identity.name, institutions=ours)


@router.delete(PEERING_PATH, summary="The signer revokes the peering; mirror it")
async def goodbye(signed: AllowedPeer, session: SessionDep, now: Now) -> dict[str, str]:
    await peering.revoke_by_peer(session, peer=signed.peer, now=now)
    await session.commit()
    return {"status": "revoked"}


@router.put(availability.AVAILABILITY_PATH, summary="The signer's anonymised availability counts")
async def put_availability(signed: ActivePeer, session: SessionDep, now: Now) -> dict[str, str]:
    try:
        counts = json.loads(signed.body)
    except ValueError:
        raise InvalidInput("the body is not JSON") from None
    await availability.store(session, peer=signed.peer, counts=counts, now=now)
    await session.commit()
    return {"status": "stored"}


class _Item(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: str = Field(max_length=32)


class _Transaction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[_Item] = Field(min_length=1, max_length=1000)


_TXN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


async def _sender_of(
    session: AsyncSession, state: AppState, peer: FederationPeer, item: dict[str, Any]
) -> tuple[uuid.UUID, str] | dict[str, str]:
    """The stand-in account an envelope item is sent as, and the envelope; or its error."""
    try:
        room_id, sender = uuid.UUID(str(item.get("room"))), uuid.UUID(str(item.get("sender")))
        raw = item["envelope"]
    except (KeyError, ValueError):
        return {"error": "invalid"}
    if not isinstance(raw, str) or len(raw) > state.settings.max_envelope_bytes:
        return {"error": "invalid"}
    try:
        member = await remote.stand_in_in_room(
            session, peer=peer, room_id=room_id, member_id=sender
        )
    except NotFound as error:
        return {"error": error.code}
    return member.account_id, raw


async def _store_envelope(state: AppState, account_id: uuid.UUID, raw: str) -> dict[str, str]:
    """One envelope into the local recipient's mailbox (as the stand-in), then published."""
    try:
        accepted = await state.writes.send(account_id, raw)
    except ServiceError as error:
        if isinstance(error, Unavailable) or type(error) is ServiceError:
            raise
        return {"error": error.code}
    if accepted.entry is not None:
        frame = deliver_frame(accepted.entry).model_dump_json().encode()
        await state.pubsub.publish(str(accepted.entry.recipient_id), frame)
    return {"ok": str(accepted.id)}


async def _store_envelopes(
    state: AppState, peer: FederationPeer, run: list[dict[str, Any]]
) -> list[dict[str, str]]:
    """A run of envelope items, in order: senders are looked up first, then every write is
    queued at once in item order, so one group commit stores them with seqs in that order."""
    async with state.db.session() as session:
        checked = [await _sender_of(session, state, peer, item) for item in run]
    writes = [
        _store_envelope(state, *found) if isinstance(found, tuple) else _failed(found)
        for found in checked
    ]
    return list(await asyncio.gather(*writes))


async def _failed(result: dict[str, str]) -> dict[str, str]:
    return result


async def _apply_event(
    state: AppState, peer: FederationPeer, item: dict[str, Any], now: datetime
) -> dict[str, str]:
    async with state.db.session() as session:
        try:
            applied = await inbox.apply_event(session, peer=peer, item=item, now=now)
        except ServiceError as error:
            if isinstance(error, Unavailable) or type(error) is ServiceError:
                raise
            await session.rollback()
            return {"error": error.code}
        await session.commit()
    if applied.refused is not None:
        return {"error": applied.refused}
    for account_id, kind, ref in applied.notify:
        await state.notify(account_id, kind, **{kind: ref})
    if applied.search_again is not None:
        await matchmaker.find_supporter(
            state.db,
            request_id=applied.search_again,
            now=now,
            settings=state.settings,
            notify=state.notify,
            source=state.roster,
            forward=Forwarder(state.db, state.federation),
        )
    return {"ok": kind_of(item)}


def kind_of(item: dict[str, Any]) -> str:
    return str(item.get("kind"))


@router.put(outbox.SEND_PATH, summary="A transaction of envelopes and events, idempotent by id")
async def send_transaction(
    txn_id: str, signed: ActivePeer, session: SessionDep, state: StateDep, now: Now
) -> dict[str, Any]:
    if not _TXN_ID.fullmatch(txn_id):
        raise InvalidInput("malformed transaction id")
    body = parse(_Transaction, signed.body)
    peer = signed.peer
    if await session.get(FederationTransaction, (peer.id, txn_id)) is not None:
        return {"status": "duplicate"}
    items = [item.model_dump() for item in body.items]
    results: list[dict[str, str]] = []
    index = 0
    while index < len(items):
        if items[index]["kind"] == outbox.ENVELOPE:
            run = []
            while index < len(items) and items[index]["kind"] == outbox.ENVELOPE:
                run.append(items[index])
                index += 1
            # Submitted together and in order: one group commit, seq order = sender order.
            results += await _store_envelopes(state, peer, run)
        else:
            results.append(await _apply_event(state, peer, items[index], now))
            index += 1
    await insert_if_missing(
        session, FederationTransaction, peer_id=peer.id, txn_id=txn_id, received_at=now
    )
    await session.commit()
    state.federation.wake()  # events may have queued answers (e.g. a close)
    return {"status": "applied", "results": results}


class _Wanted(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member: uuid.UUID


@router.post(forwarding.REQUESTS_PATH, summary="A pseudonymous request the signer forwards")
async def forwarded_request(
    signed: ActivePeer, session: SessionDep, state: StateDep, now: Now
) -> dict[str, str]:
    wanted = forwarding.parse_forwarded(signed.body)
    request_id = await forwarding.receive(session, peer=signed.peer, wanted=wanted, now=now)
    await session.commit()
    # Rank and offer here; never forwarded on (no hook), the answer is the status.
    await matchmaker.find_supporter(
        state.db, request_id=request_id, now=now, settings=state.settings, notify=state.notify,
        source=state.roster,
    )  # fmt: skip
    async with state.db.session() as fresh:
        request = await fresh.get(SupportRequest, request_id)
        assert request is not None
        return {"status": request.status}


@router.post(shared_rooms.BUNDLE_PATH, summary="A local member's prekey bundle, for the signer's")
async def bundle_for_peer(
    room_id: uuid.UUID, signed: ActivePeer, session: SessionDep, now: Now
) -> dict[str, Any]:
    wanted = parse(_Wanted, signed.body)
    stand_in = await remote.stand_in_in_room(
        session, peer=signed.peer, room_id=room_id, member_id=wanted.member
    )
    account = await session.get(Account, stand_in.account_id)
    assert account is not None
    bundle = await keydir.claim_bundle(session, account=account, room_id=room_id, now=now)
    await session.commit()
    return {"member_id": str(bundle.member_id), "bundle": bundle_json(bundle)}
