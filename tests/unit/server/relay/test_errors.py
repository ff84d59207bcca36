"""One error tree, two edges: each error type names its HTTP status and its WebSocket code."""

from __future__ import annotations

import pytest

from server import errors
from server.relay.errors import error_frame
from server.relay.frames import ErrorCode

EXPECTED = {
    errors.ServiceError: (500, "unavailable"),
    errors.Unavailable: (503, "unavailable"),
    errors.InvalidInput: (422, "invalid"),
    errors.MalformedFrame: (422, "malformed"),
    errors.InvalidEnvelope: (422, "invalid_envelope"),
    errors.Unauthenticated: (401, "unauthenticated"),
    errors.Forbidden: (403, "forbidden"),
    errors.NotFound: (404, "not_found"),
    errors.UnknownRoom: (404, "unknown_room"),
    errors.Conflict: (409, "conflict"),
    errors.RoomClosed: (409, "room_closed"),
    errors.NoRecipient: (409, "no_recipient"),
    errors.DuplicateId: (409, "duplicate_id"),
    errors.AlreadyAuthenticated: (409, "already_authenticated"),
    errors.IllegalTransition: (409, "conflict"),
    errors.PayloadTooLarge: (413, "too_large"),
}


def test_every_error_type_is_listed() -> None:
    exported = {getattr(errors, name) for name in errors.__all__}
    assert exported - {errors.RateLimited} == set(EXPECTED)


@pytest.mark.parametrize(("kind", "expected"), EXPECTED.items())
def test_each_type_maps_to_its_status_and_frame(
    kind: type[errors.ServiceError], expected: tuple[int, str]
) -> None:
    status, code = expected
    error = kind("the safe detail", ref="m-1")
    frame = error_frame(error)
    assert (kind.status, frame.code) == (status, ErrorCode(code))
    assert frame.message == "the safe detail" and frame.ref == "m-1"


def test_rate_limited_carries_its_wait() -> None:
    error = errors.RateLimited("slow down", retry_after=7)
    assert (error.status, error_frame(error).code, error.retry_after) == (429, "rate_limited", 7)


def test_a_closed_room_is_not_unavailable() -> None:
    assert error_frame(errors.RoomClosed("this room is closed")).code is ErrorCode.ROOM_CLOSED
