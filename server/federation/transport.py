"""Calls to peer nodes: the unsigned well-known document, and signed requests.

Every request to a peer's federation API is signed (`server.federation.signatures`) for the
exact URL it goes to; a peer that does not answer, or answers 5xx, is `Unavailable` (the outbox
retries); a 4xx answer is returned to the caller, who decides.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from server.accounts.statements import b64decode
from server.errors import InvalidInput, Unavailable
from server.federation.node import NodeIdentity, fingerprint, normalise_url
from server.federation.signatures import sign_request

__all__ = ["WELL_KNOWN", "PeerAnswer", "Transport"]

log = logging.getLogger(__name__)
WELL_KNOWN = "/.well-known/peerhaven/node"


class PeerAnswer:
    """A peer's answer: its status and JSON body (an empty dict when it had none)."""

    __slots__ = ("body", "status")

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def __repr__(self) -> str:
        return f"PeerAnswer({self.status})"


class Transport:
    """Signed HTTP to peers, over one connection pool. `close` when done."""

    def __init__(
        self,
        identity: NodeIdentity,
        *,
        timeout: float,
        clock: Callable[[], datetime],
        max_body_bytes: int,
    ) -> None:
        self.identity = identity
        self._clock = clock
        self._max_body = max_body_bytes
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        await self._http.aclose()

    async def fetch_key(self, url: str, *, pinned: str) -> bytes:
        """The public key the node at `url` publishes, if its fingerprint is `pinned` and its
        document names `url`. InvalidInput when it does not match, Unavailable when the node
        cannot be reached."""
        try:
            response = await self._http.get(url + WELL_KNOWN)
            document = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            raise Unavailable("the peer node did not answer its well-known document") from None
        try:
            assert isinstance(document, dict)
            name = normalise_url(str(document["name"]))
            raw = str(document["key"]["public_key"])
            key = b64decode(raw, field="public_key", length=32)
        except (AssertionError, KeyError, TypeError, ValueError, InvalidInput):
            raise InvalidInput("the peer's well-known document is not a Peerhaven node") from None
        if name != url:
            raise InvalidInput("the peer's document names another node than this URL")
        if len(key) != 32 or fingerprint(key) != pinned:
            raise InvalidInput("the peer's key does not match the pinned fingerprint")
        return key

    async def call(
        self, peer_url: str, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> PeerAnswer:
        """A signed request to `peer_url + path`. Unavailable when the peer cannot be reached,
        answers 5xx, or answers with a body that is not JSON."""
        url = peer_url + path
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        headers = sign_request(self.identity, method=method, url=url, body=body, now=self._clock())
        if body:
            headers["Content-Type"] = "application/json"
        try:
            response = await self._http.request(method, url, content=body, headers=headers)
        except httpx.HTTPError as error:
            log.info("peer %s unreachable: %s", peer_url, type(error).__name__)
            raise Unavailable("the peer node did not answer") from None
        if response.status_code >= 500:
            raise Unavailable("the peer node failed to answer")
        if len(response.content) > self._max_body:
            raise Unavailable("the peer node answered with too large a body")
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            raise Unavailable("the peer node answered with something that is not JSON") from None
        return PeerAnswer(response.status_code, answer if isinstance(answer, dict) else {})
