"""API schemas of federation: the admin API and the server-to-server (signed) API.

Server-to-server bodies are parsed only after their signature verified (the routes read the raw
body themselves), and carry no account id, device key, institution or network.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from server.federation.states import PeerStatus

__all__ = [
    "HelloIn",
    "HelloOut",
    "NodeOut",
    "PeerIn",
    "PeerOut",
    "PeersOut",
]

Digest = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NodeOut(BaseModel):
    """This node as peers see it (`GET /.well-known/peerhaven/node`)."""

    name: str
    key: dict[str, str]
    protocol_versions: list[str]


class PeerIn(_In):
    url: str = Field(
        min_length=8, max_length=300, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        examples=["https://peerhaven.example.org"],
    )  # fmt: skip
    fingerprint: str = Field(
        min_length=64, max_length=128, pattern=r"^[0-9a-fA-F:]+$",
        description="SHA-256 of the peer's node key, in hex",
    )  # fmt: skip


class PeerOut(BaseModel):
    id: uuid.UUID
    url: str
    fingerprint: str
    status: PeerStatus
    created_at: datetime
    updated_at: datetime
    availability: dict[str, Any] | None = Field(
        description="The latest anonymised availability counts the peer sent"
    )


class PeersOut(BaseModel):
    node: NodeOut
    peers: list[PeerOut]


class HelloIn(_In):
    node: str = Field(max_length=300)
    institutions: list[Digest] = Field(max_length=10_000)


class HelloOut(BaseModel):
    node: str
    institutions: list[str]
    status: PeerStatus = PeerStatus.ACTIVE
