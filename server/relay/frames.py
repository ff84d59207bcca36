"""WebSocket frames: a discriminated union per direction, validated once at the edge.

Client → server: `auth` (first frame, bearer token), `send`, `ack`, `sync`, `ping`.
Server → client: `ready`, `accepted`, `deliver`, `synced`, `notify`, `pong`, `error`.
The server never looks inside `envelope` beyond what franking needs (see docs/protocol.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from crypto.relay import MAX_ACK_IDS, CloseCode, ErrorCode
from server.errors import MalformedFrame

__all__ = [
    "Accepted",
    "Ack",
    "Auth",
    "ClientFrame",
    "CloseCode",
    "Deliver",
    "ErrorCode",
    "ErrorFrame",
    "Notify",
    "Ping",
    "Pong",
    "Ready",
    "Send",
    "Sync",
    "Synced",
    "parse_client_frame",
]


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Auth(_Frame):
    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=256)


class Send(_Frame):
    """An encoded `crypto.Envelope`; its `id` is the client message id that makes re-sends
    idempotent, its `room` and `sender` must be this room and the caller's member id in it."""

    type: Literal["send"]
    envelope: str = Field(min_length=1)


class Ack(_Frame):
    type: Literal["ack"]
    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_ACK_IDS)


class Sync(_Frame):
    type: Literal["sync"]
    after: int = Field(default=0, ge=0)


class Ping(_Frame):
    type: Literal["ping"]


ClientFrame = Annotated[Auth | Send | Ack | Sync | Ping, Field(discriminator="type")]
_client_frames: TypeAdapter[Auth | Send | Ack | Sync | Ping] = TypeAdapter(ClientFrame)


def parse_client_frame(raw: str | bytes) -> Auth | Send | Ack | Sync | Ping:
    """Validate one client frame; `MalformedFrame` names the problem, never the input."""
    try:
        return _client_frames.validate_json(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in error["loc"]) or "frame"
            problems.append(f"{where}: {error['msg']}")
        raise MalformedFrame("; ".join(problems[:5])) from None


class Ready(_Frame):
    type: Literal["ready"] = "ready"
    cursor: int  # the highest mailbox sequence number this account has


class Accepted(_Frame):
    type: Literal["accepted"] = "accepted"
    client_id: str
    id: uuid.UUID
    ts: datetime


class Deliver(_Frame):
    type: Literal["deliver"] = "deliver"
    id: uuid.UUID
    seq: int
    room: uuid.UUID
    sender: uuid.UUID  # the sender's member id in the room (its device id there)
    envelope: str
    ts: datetime
    tag: str  # franking tag (base64url): what a report must present with the plaintext


class Synced(_Frame):
    type: Literal["synced"] = "synced"
    cursor: int


class Notify(_Frame):
    type: Literal["notify"] = "notify"
    event: str
    data: dict[str, Any] = Field(default_factory=dict)


class Pong(_Frame):
    type: Literal["pong"] = "pong"


class ErrorFrame(_Frame):
    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    ref: str | None = None  # the envelope id of the `send` it answers, when known
