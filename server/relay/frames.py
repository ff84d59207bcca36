"""WebSocket frames: a discriminated union per direction, validated once at the edge.

Client → server: `auth` (first frame, bearer token), `send`, `ack`, `sync`, `ping`.
Server → client: `ready`, `accepted`, `deliver`, `synced`, `notify`, `pong`, `error`.
The server never looks inside `envelope` beyond what franking needs (see docs/protocol.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from crypto.encoding import b64encode
from crypto.relay import MAX_ACK_IDS, CloseCode, ErrorCode
from server.errors import MalformedFrame

if TYPE_CHECKING:
    from server.relay.mailbox import Delivery

__all__ = [
    "MAX_SEQ",
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
    "deliver_frame",
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


MAX_SEQ = (1 << 63) - 1
"""Sequence numbers are signed 64-bit integers in the database; a larger cursor is malformed."""


class Sync(_Frame):
    type: Literal["sync"]
    after: int = Field(default=0, ge=0, le=MAX_SEQ)


class Ping(_Frame):
    type: Literal["ping"]


ClientFrame = Annotated[Auth | Send | Ack | Sync | Ping, Field(discriminator="type")]
_client_frames: TypeAdapter[Auth | Send | Ack | Sync | Ping] = TypeAdapter(ClientFrame)


# The words an error message may use: field names and frame types the server defines. Anything
# else in a location (an unknown field's name, a dictionary key) came from the client.
_KNOWN_NAMES = frozenset(
    {"auth", "send", "ack", "sync", "ping", "type", "token", "envelope", "ids", "after"}
)

# What each kind of problem is called, in the server's own words (pydantic's messages quote input:
# the unknown tag, the offending character of a UUID).
_PROBLEMS = {
    "json_invalid": "not valid JSON",
    "json_type": "not valid JSON",
    "dict_type": "expected a JSON object",
    "model_type": "expected a JSON object",
    "model_attributes_type": "expected a JSON object",
    "union_tag_invalid": "not a known frame type",
    "union_tag_not_found": "missing frame type",
    "extra_forbidden": "unknown field",
    "missing": "missing",
    "string_type": "expected a string",
    "string_too_short": "too short",
    "string_too_long": "too long",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "greater_than_equal": "too small",
    "less_than_equal": "too large",
    "list_type": "expected a list",
    "too_short": "too few items",
    "too_long": "too many items",
    "uuid_type": "expected a UUID",
    "uuid_parsing": "expected a UUID",
}


def _where(loc: tuple[int | str, ...], kind: str) -> str:
    if kind == "extra_forbidden":
        loc = loc[:-1]  # the last part is the unknown field's name: the client's words
    parts = [str(p) for p in loc if isinstance(p, int) or p in _KNOWN_NAMES]
    return ".".join(parts) or "frame"


def parse_client_frame(raw: str | bytes) -> Auth | Send | Ack | Sync | Ping:
    """Validate one client frame.

    Raises `MalformedFrame` whose detail names the field and the kind of problem in the server's
    own words: never a value, a type name or a field name the client sent.
    """
    try:
        return _client_frames.validate_json(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False, include_context=False):
            kind = error["type"]
            problem = f"{_where(error['loc'], kind)}: {_PROBLEMS.get(kind, 'invalid value')}"
            if problem not in problems:
                problems.append(problem)
        raise MalformedFrame("; ".join(problems[:5])) from None


class Ready(_Frame):
    type: Literal["ready"] = "ready"
    cursor: int  # the last mailbox seq given out to this account (its own counter)


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


def deliver_frame(entry: Delivery) -> Deliver:
    """The `deliver` frame of a mailbox entry."""
    return Deliver(
        id=entry.id,
        seq=entry.seq,
        room=entry.room_id,
        sender=entry.sender_member_id,
        envelope=entry.envelope,
        ts=entry.created_at,
        tag=b64encode(entry.tag),
    )


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
