"""The server-to-server edge: the well-known node document, and the signed federation API.

Nothing under `/federation/v1/` takes a bearer token: each request must carry a valid RFC 9421
signature of an allowed peer (`server.federation.peering.authenticate`), checked before the body
is parsed. Refusals are problem details that name the class of failure and change nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError

from server.api.deps import Now, SessionDep, StateDep
from server.api.schemas_federation import HelloIn, HelloOut, NodeOut
from server.db.models import FederationPeer
from server.errors import InvalidInput
from server.federation import availability, peering
from server.federation.handshake import PEERING_PATH
from server.federation.node import node_document
from server.federation.transport import WELL_KNOWN

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
        session, method=request.method, url=url,
        headers={k.lower(): v for k, v in request.headers.items()}, body=body,
        now=state.clock(), window=state.federation.window, pending_ok=pending_ok,
    )  # fmt: skip
    return Signed(peer=peer, body=body)


async def signed_by_active_peer(request: Request, state: StateDep, session: SessionDep) -> Signed:
    return await _authenticate(request, state, session, pending_ok=False)


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
