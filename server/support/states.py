"""The states of a support request and of an offer, and the only moves between them.

    request:  searching ──offer──▶ offered ──accept──▶ matched
                 ▲                    │
                 └─decline / expiry───┘
              searching ──no candidate left──▶ unavailable ──keep looking──▶ waiting
              waiting ──retried (a supporter became free, or periodically)──▶ searching
              searching ──no candidate left, keep looking──▶ waiting
              waiting ──too long──▶ unavailable
              searching | offered | waiting ──cancel──▶ cancelled

    offer:    pending ──▶ accepted | declined | expired | cancelled

Every status write in `server.support` goes through `REQUEST` or `OFFER`, which raise
`server.errors.IllegalTransition` for a move the tables do not allow; the write itself is a
guarded `UPDATE … WHERE status = old`, so a concurrent move makes it touch no row rather than
overwrite a newer state.
"""

from __future__ import annotations

from enum import StrEnum

from server.platform.transitions import Transitions

__all__ = [
    "OFFER",
    "OFFER_MOVES",
    "OPEN_REQUEST",
    "REQUEST",
    "REQUEST_MOVES",
    "OfferStatus",
    "RequestStatus",
]


class RequestStatus(StrEnum):
    SEARCHING = "searching"
    OFFERED = "offered"
    MATCHED = "matched"
    UNAVAILABLE = "unavailable"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


REQUEST_MOVES: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.SEARCHING: frozenset(
        {
            RequestStatus.OFFERED,
            RequestStatus.UNAVAILABLE,
            RequestStatus.WAITING,
            RequestStatus.CANCELLED,
        }
    ),
    RequestStatus.OFFERED: frozenset(
        {RequestStatus.MATCHED, RequestStatus.SEARCHING, RequestStatus.CANCELLED}
    ),
    RequestStatus.MATCHED: frozenset(),
    # "Keep looking for me": the request opens again and waits for a supporter to be free.
    RequestStatus.UNAVAILABLE: frozenset({RequestStatus.WAITING}),
    RequestStatus.WAITING: frozenset(
        {RequestStatus.SEARCHING, RequestStatus.UNAVAILABLE, RequestStatus.CANCELLED}
    ),
    RequestStatus.CANCELLED: frozenset(),
}

OFFER_MOVES: dict[OfferStatus, frozenset[OfferStatus]] = {
    OfferStatus.PENDING: frozenset(
        {OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.EXPIRED, OfferStatus.CANCELLED}
    ),
    OfferStatus.ACCEPTED: frozenset(),
    OfferStatus.DECLINED: frozenset(),
    OfferStatus.EXPIRED: frozenset(),
    OfferStatus.CANCELLED: frozenset(),
}

OPEN_REQUEST = frozenset({RequestStatus.SEARCHING, RequestStatus.OFFERED, RequestStatus.WAITING})
"""A requester has at most one request in these states (the `open_for` unique index)."""


REQUEST = Transitions(REQUEST_MOVES)
OFFER = Transitions(OFFER_MOVES)
