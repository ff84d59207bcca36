"""The states of a peering, and the only moves between them.

    peer:  pending ──handshake (both sides allow)──▶ active
              │  ▲                                      │
              │  └───── peered again by an admin ───┐   │
              └──────────────revoke────────────▶ revoked ◀┘

`pending`: this node allows the peer, the peer has not (yet) allowed this node. Only `active`
peers exchange availability, requests and rooms. A `revoked` peer is refused on every request
until an admin peers with it again (with a freshly pinned fingerprint), which starts over at
`pending`.

    forwarded (home side):  waiting ──request.accepted / request.unavailable──▶ answered
                               │ └──────── requester cancelled ──────────▶ cancelled
                               └───────── deadline passed ───────────────▶ expired

`waiting`: the peer said `offered` and its answer is awaited until `deadline_at`. An answer to
a request that is no longer `waiting` is refused and changes nothing here.
"""

from __future__ import annotations

from enum import StrEnum

from server.platform.transitions import Transitions

__all__ = ["FORWARD", "FORWARD_MOVES", "PEER", "PEER_MOVES", "ForwardStatus", "PeerStatus"]


class PeerStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REVOKED = "revoked"


PEER_MOVES: dict[PeerStatus, frozenset[PeerStatus]] = {
    PeerStatus.PENDING: frozenset({PeerStatus.ACTIVE, PeerStatus.REVOKED}),
    PeerStatus.ACTIVE: frozenset({PeerStatus.REVOKED}),
    PeerStatus.REVOKED: frozenset({PeerStatus.PENDING}),
}

PEER = Transitions(PEER_MOVES)


class ForwardStatus(StrEnum):
    WAITING = "waiting"
    ANSWERED = "answered"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


FORWARD_MOVES: dict[ForwardStatus, frozenset[ForwardStatus]] = {
    ForwardStatus.WAITING: frozenset(
        {ForwardStatus.ANSWERED, ForwardStatus.CANCELLED, ForwardStatus.EXPIRED}
    ),
    ForwardStatus.ANSWERED: frozenset(),
    ForwardStatus.CANCELLED: frozenset(),
    ForwardStatus.EXPIRED: frozenset(),
}

FORWARD = Transitions(FORWARD_MOVES)
