"""The relay's one translator from the error tree to `error` frames."""

from __future__ import annotations

from server.errors import ServiceError
from server.relay.frames import ErrorCode, ErrorFrame

__all__ = ["error_frame"]


def error_frame(error: ServiceError) -> ErrorFrame:
    """The frame that answers `error`: its code, its safe detail, the envelope it refers to."""
    try:
        code = ErrorCode(error.code)
    except ValueError:  # a type without a code of its own answers as its nearest: unavailable
        code = ErrorCode.UNAVAILABLE
    return ErrorFrame(code=code, message=error.detail, ref=error.ref)
