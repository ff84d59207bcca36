"""Flag categories, severities, statuses, escalation tiers and outcomes (the state tables).

    flag:  open ──claim──▶ claimed ──acknowledge──▶ acknowledged ──resolve──▶ resolved
    tier:  primary ──deadline──▶ backup ──deadline──▶ admins

Acknowledging stops the clock; a flag that is not acknowledged in time moves one tier up, each
move fired once by the escalation job (`server.moderation.escalation`).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from server.platform.transitions import Transitions

__all__ = [
    "FLAG",
    "FLAG_MOVES",
    "SEVERITY",
    "TIER",
    "TIER_MOVES",
    "Category",
    "FlagStatus",
    "Outcome",
    "Severity",
    "Tier",
]


class Category(StrEnum):
    CRISIS = "crisis"  # risk of self-harm or suicide
    HARASSMENT = "harassment"
    PATIENT_SAFETY = "patient_safety"  # a disclosed error or negligence
    OTHER = "other"


class Severity(IntEnum):
    """Queue order: higher first. The API shows the name."""

    NORMAL = 1
    HIGH = 2
    CRITICAL = 3


SEVERITY: dict[Category, Severity] = {
    Category.CRISIS: Severity.CRITICAL,
    Category.HARASSMENT: Severity.HIGH,
    Category.PATIENT_SAFETY: Severity.HIGH,
    Category.OTHER: Severity.NORMAL,
}


class FlagStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


FLAG_MOVES: dict[FlagStatus, frozenset[FlagStatus]] = {
    FlagStatus.OPEN: frozenset({FlagStatus.CLAIMED}),
    FlagStatus.CLAIMED: frozenset({FlagStatus.ACKNOWLEDGED}),
    FlagStatus.ACKNOWLEDGED: frozenset({FlagStatus.RESOLVED}),
    FlagStatus.RESOLVED: frozenset(),
}

FLAG = Transitions(FLAG_MOVES)


class Tier(StrEnum):
    """Who a flag is with: the on-duty primary moderators, the backup tier, the network admins."""

    PRIMARY = "primary"
    BACKUP = "backup"
    ADMINS = "admins"


TIER_MOVES: dict[Tier, frozenset[Tier]] = {
    Tier.PRIMARY: frozenset({Tier.BACKUP}),
    Tier.BACKUP: frozenset({Tier.ADMINS}),
    Tier.ADMINS: frozenset(),
}

TIER = Transitions(TIER_MOVES)


class Outcome(StrEnum):
    SUPPORTED = "supported"
    REFERRED = "referred"
    NO_ACTION = "no_action"
    ROOM_CLOSED = "room_closed"
    ACCOUNT_SUSPENDED = "account_suspended"
