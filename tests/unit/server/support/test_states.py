"""The request and offer state tables: every legal move passes, every other one raises."""

from __future__ import annotations

import itertools

import pytest

from server.errors import IllegalTransition
from server.rooms.states import ROOM, RoomStatus
from server.support.states import OFFER, OPEN_REQUEST, REQUEST, OfferStatus, RequestStatus

LEGAL_REQUEST = {
    ("searching", "offered"), ("searching", "unavailable"), ("searching", "cancelled"),
    ("offered", "matched"), ("offered", "searching"), ("offered", "cancelled"),
    # "keep looking for me"
    ("unavailable", "waiting"), ("searching", "waiting"),
    ("waiting", "searching"), ("waiting", "unavailable"), ("waiting", "cancelled"),
}  # fmt: skip
LEGAL_OFFER = {("pending", s) for s in ("accepted", "declined", "expired", "cancelled")}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(RequestStatus, RequestStatus)))
def test_request_moves(old: RequestStatus, new: RequestStatus) -> None:
    if (old.value, new.value) in LEGAL_REQUEST:
        assert REQUEST(old, new) is new
    else:
        with pytest.raises(IllegalTransition):
            REQUEST(old, new)


@pytest.mark.parametrize(("old", "new"), list(itertools.product(OfferStatus, OfferStatus)))
def test_offer_moves(old: OfferStatus, new: OfferStatus) -> None:
    if (old.value, new.value) in LEGAL_OFFER:
        assert OFFER(old, new) is new
    else:
        with pytest.raises(IllegalTransition):
            OFFER(old, new)


def test_final_states_and_open_requests() -> None:
    assert {s for s in RequestStatus if REQUEST.final(s)} == {
        RequestStatus.MATCHED, RequestStatus.CANCELLED
    }
    assert OPEN_REQUEST == {RequestStatus.SEARCHING, RequestStatus.OFFERED, RequestStatus.WAITING}
    assert all(OFFER.final(s) for s in OfferStatus if s is not OfferStatus.PENDING)


def test_a_closed_room_never_reopens() -> None:
    assert ROOM(RoomStatus.OPEN, RoomStatus.CLOSED) is RoomStatus.CLOSED
    with pytest.raises(IllegalTransition):
        ROOM(RoomStatus.CLOSED, RoomStatus.OPEN)


def test_the_error_names_the_move_but_is_a_conflict() -> None:
    with pytest.raises(IllegalTransition, match="matched → searching") as caught:
        REQUEST(RequestStatus.MATCHED, RequestStatus.SEARCHING)
    assert caught.value.status == 409
