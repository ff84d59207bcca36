"""A room's status and its members' roles.

    room:  open ──leave / close / block / moderator──▶ closed

A room has no status column: it is `closed` once `closed_at` is set, and nothing reopens it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from server.platform.transitions import Transitions

__all__ = ["ROOM", "ROOM_MOVES", "MemberRole", "RoomKind", "RoomStatus", "room_status"]


class RoomStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class MemberRole(StrEnum):
    REQUESTER = "requester"
    SUPPORTER = "supporter"
    MODERATOR = "moderator"  # in a moderation room, opposite the member who flagged


class RoomKind(StrEnum):
    SUPPORT = "support"  # made from an accepted offer
    MODERATION = "moderation"  # a moderator and a member who flagged a room


ROOM_MOVES: dict[RoomStatus, frozenset[RoomStatus]] = {
    RoomStatus.OPEN: frozenset({RoomStatus.CLOSED}),
    RoomStatus.CLOSED: frozenset(),
}


ROOM = Transitions(ROOM_MOVES)


def room_status(closed_at: datetime | None) -> RoomStatus:
    return RoomStatus.OPEN if closed_at is None else RoomStatus.CLOSED
