"""The server's one error tree. Domain code raises only these; two edges translate them:
`server.api.problems` (HTTP problem details, by `status`) and `server.relay.errors` (a typed
WebSocket `error` frame, by `code`). `detail` is safe to show the caller: it never quotes input.

ServiceError            500  unavailable            something failed; nothing was changed
├── Unavailable         503  unavailable            not stored or not done now: try again
├── InvalidInput        422  invalid                well-formed but unacceptable
│   ├── MalformedFrame  422  malformed              not JSON, not a known frame, bad fields
│   └── InvalidEnvelope 422  invalid_envelope       undecodable, or not the sender's
├── Unauthenticated     401  unauthenticated        no, unknown, expired or revoked credentials
├── Forbidden           403  forbidden              authenticated, but not allowed
├── NotFound            404  not_found              unknown id, or one the caller may not see
│   └── UnknownRoom     404  unknown_room           no such room, or not a member: one answer
├── Conflict            409  conflict               the state does not allow it
│   ├── RoomClosed      409  room_closed
│   ├── NoRecipient     409  no_recipient           nobody else is in the room
│   ├── DuplicateId     409  duplicate_id           an id already accepted for other content
│   ├── AlreadyAuthenticated 409 already_authenticated
│   └── IllegalTransition    409 conflict           a status move the state tables forbid
├── PayloadTooLarge     413  too_large
└── RateLimited         429  rate_limited           carries `retry_after` seconds
"""

from __future__ import annotations

__all__ = [
    "AlreadyAuthenticated",
    "Conflict",
    "DuplicateId",
    "Forbidden",
    "IllegalTransition",
    "InvalidEnvelope",
    "InvalidInput",
    "MalformedFrame",
    "NoRecipient",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "RoomClosed",
    "ServiceError",
    "Unauthenticated",
    "Unavailable",
    "UnknownRoom",
]


class ServiceError(Exception):
    """Base of every error a request or frame can end with.

    `status` is its HTTP status, `code` its WebSocket error code, `detail` the safe message;
    `ref` names the envelope a relay error answers, when known.
    """

    status = 500
    title = "Internal error"
    code = "unavailable"

    def __init__(self, detail: str, *, ref: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.ref = ref

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"


class Unavailable(ServiceError):
    status = 503
    title = "Service unavailable"


class InvalidInput(ServiceError):
    status = 422
    title = "Invalid input"
    code = "invalid"


class MalformedFrame(InvalidInput):
    code = "malformed"


class InvalidEnvelope(InvalidInput):
    code = "invalid_envelope"


class Unauthenticated(ServiceError):
    status = 401
    title = "Not authenticated"
    code = "unauthenticated"


class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    title = "Not found"
    code = "not_found"


class UnknownRoom(NotFound):
    code = "unknown_room"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"
    code = "conflict"


class RoomClosed(Conflict):
    code = "room_closed"


class NoRecipient(Conflict):
    code = "no_recipient"


class DuplicateId(Conflict):
    """A `send` reuses an envelope id that was accepted for a different envelope."""

    code = "duplicate_id"


class AlreadyAuthenticated(Conflict):
    code = "already_authenticated"


class IllegalTransition(Conflict):
    """A status move the state tables do not allow (a bug, or a race the guard caught)."""


class PayloadTooLarge(ServiceError):
    status = 413
    title = "Payload too large"
    code = "too_large"


class RateLimited(ServiceError):
    status = 429
    title = "Too many requests"
    code = "rate_limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
