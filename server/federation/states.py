"""The states of a peering, and the only moves between them.

    peer:  pending ──handshake (both sides allow)──▶ active
              │  ▲                                      │
              │  └───── peered again by an admin ───┐   │
              └──────────────revoke────────────▶ revoked ◀┘

`pending`: this node allows the peer, the peer has not (yet) allowed this node. Only `active`
peers exchange availability, requests and rooms. A `revoked` peer is refused on every request
until an admin peers with it again (with a freshly pinned fingerprint), which starts over at
`pending`.
"""

from __future__ import annotations

from enum import StrEnum

from server.platform.transitions import Transitions

__all__ = ["PEER", "PEER_MOVES", "PeerStatus"]


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
