"""The server's error tree. Services raise these; only `server.problems` maps them to HTTP.

ServiceError
├── InvalidInput        422  well-formed but unacceptable (bad signature, wrong key length…)
├── Unauthenticated     401  no, unknown, expired or revoked credentials
├── Forbidden           403  authenticated, but not allowed
├── NotFound            404  unknown id, or one the caller may not know exists
├── Conflict            409  the state does not allow it (invite used, already registered…)
├── PayloadTooLarge     413
└── RateLimited         429  carries `retry_after` seconds
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceError",
    "Unauthenticated",
]


class ServiceError(Exception):
    """Base of every error a request can end with. `detail` is safe to show the caller."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"


class InvalidInput(ServiceError):
    status = 422
    title = "Invalid input"


class Unauthenticated(ServiceError):
    status = 401
    title = "Not authenticated"


class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(ServiceError):
    status = 413
    title = "Payload too large"


class RateLimited(ServiceError):
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
