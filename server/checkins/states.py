"""The states of a check-in offer, and the only moves between them.

    scheduled ──due──▶ offered ──"Talk to a peer"──▶ accepted
                         │  ▲
              "Not now"  │  │ due (the one reminder)
                         ▼  │
                       snoozed
    offered ──"No thanks", or "Not now" after the reminder──▶ declined

`accepted` and `declined` are final. Every status write in `server.checkins` goes through
`CHECKIN`, and is a guarded `UPDATE … WHERE status = old`, so the sweeper offers a check-in (or
reminds) exactly once even with several workers.
"""

from __future__ import annotations

from enum import StrEnum

from server.platform.transitions import Transitions

__all__ = ["CHECKIN", "CHECKIN_MOVES", "DUE", "CheckinReason", "CheckinStatus", "IntakeResult"]


class CheckinStatus(StrEnum):
    SCHEDULED = "scheduled"
    OFFERED = "offered"
    SNOOZED = "snoozed"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class CheckinReason(StrEnum):
    """Why the check-in exists: a reported adverse event, or the clinician's team was flagged."""

    EVENT = "event"
    TEAM = "team"


_S = CheckinStatus
CHECKIN_MOVES: dict[CheckinStatus, frozenset[CheckinStatus]] = {
    _S.SCHEDULED: frozenset({_S.OFFERED}),
    _S.OFFERED: frozenset({_S.ACCEPTED, _S.SNOOZED, _S.DECLINED}),
    _S.SNOOZED: frozenset({_S.OFFERED}),
}
CHECKIN = Transitions(CHECKIN_MOVES)

# The states the sweeper moves to `offered` once `due_at` has passed.
DUE = frozenset({_S.SCHEDULED, _S.SNOOZED})


class IntakeResult(StrEnum):
    """The intake's answer: the same for an event whoever (if anyone) it matched."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
