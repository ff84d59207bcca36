"""The relay's wire vocabulary, shared by the server, the Python client and (through
``crypto/vectors.json``) the browser: error codes, close codes, and which errors end a ``send``
(docs/protocol.md §13).

No frames and no I/O here: only the names both ends must agree on. Adding a code is a protocol
change; ``python -m crypto.vectors`` then writes it into the transcript the browser replays.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["FINAL_SEND_ERRORS", "MAX_ACK_IDS", "CloseCode", "ErrorCode", "is_final_send_error"]

MAX_ACK_IDS = 500
"""The most delivery ids one ``ack`` frame may carry (the server refuses more as ``malformed``)."""


class CloseCode(IntEnum):
    """WebSocket close codes the relay uses. A client re-connects after each of them, with a
    longer back-off after ``TOO_MANY_CONNECTIONS`` and ``RATE_LIMITED`` and after logging in
    again for ``UNAUTHENTICATED``."""

    NORMAL = 1000
    GOING_AWAY = 1001
    INVALID_DATA = 1007  # a text frame that is not UTF-8
    TOO_BIG = 1009
    INTERNAL_ERROR = 1011  # the server failed while serving the socket: reconnect and sync
    UNAUTHENTICATED = 4001
    AUTH_TIMEOUT = 4002
    TOO_MANY_CONNECTIONS = 4008
    RATE_LIMITED = 4029


class ErrorCode(StrEnum):
    """The ``code`` of an ``error`` frame. Its ``message`` is for people and never echoes input."""

    MALFORMED = "malformed"  # not JSON, or not a known frame, or invalid fields
    INVALID = "invalid"  # well-formed but unacceptable
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # the state does not allow it
    RATE_LIMITED = "rate_limited"  # slow down; nothing was done
    ALREADY_AUTHENTICATED = "already_authenticated"
    UNKNOWN_ROOM = "unknown_room"  # no such room, or not yours: one answer for both
    ROOM_CLOSED = "room_closed"
    NO_RECIPIENT = "no_recipient"
    DUPLICATE_ID = "duplicate_id"  # this envelope id was accepted for a different envelope
    INVALID_ENVELOPE = "invalid_envelope"
    TOO_LARGE = "too_large"
    UNAVAILABLE = "unavailable"  # the server could not store it now: nothing accepted, retry


FINAL_SEND_ERRORS: frozenset[ErrorCode] = frozenset(
    {
        ErrorCode.MALFORMED,
        ErrorCode.INVALID,
        ErrorCode.FORBIDDEN,
        ErrorCode.NOT_FOUND,
        ErrorCode.CONFLICT,
        ErrorCode.UNKNOWN_ROOM,
        ErrorCode.ROOM_CLOSED,
        ErrorCode.NO_RECIPIENT,
        ErrorCode.DUPLICATE_ID,
        ErrorCode.INVALID_ENVELOPE,
        ErrorCode.TOO_LARGE,
    }
)
"""Errors after which re-sending the same envelope cannot succeed: a client drops it from its
outbox and tells the user. Any other error (``unavailable``, ``rate_limited``, ``unauthenticated``
— the socket is then closed and re-opened after a new login — or a code this client does not
know) leaves the envelope in the outbox, to be sent again after the next ``ready``."""


def is_final_send_error(code: str) -> bool:
    """Whether an ``error`` frame with this ``code`` (and a ``ref`` naming an outbox entry) ends
    that send. Unknown codes are not final: a newer server's code must not lose a message."""
    return code in FINAL_SEND_ERRORS
