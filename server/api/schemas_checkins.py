"""API schemas of the check-ins (server/checkins): what crosses the wire, for clinicians and for
institution admins. Nothing an admin can read names or counts a person (docs/checkins.md)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from server.api.schemas import Request, SupportRequestOut
from server.checkins.states import CheckinReason, CheckinStatus, IntakeResult

__all__ = [
    "CheckinAccepted",
    "CheckinOut",
    "CountOut",
    "CredentialCreate",
    "CredentialCreated",
    "CredentialOut",
    "FormulaOut",
    "IntakeOut",
    "LinkIn",
    "LinkOut",
    "MonthOut",
    "SignalScoreOut",
    "SummaryOut",
    "TeamScoreOut",
    "TeamScoresOut",
]


# -- clinicians --------------------------------------------------------------------------------


class LinkIn(Request):
    staff_identifier: str = Field(
        min_length=1, max_length=64, description="As the incident system names you; only a "
        "keyed hash of it is kept.", examples=["E-104233"],
    )  # fmt: skip
    team: str | None = Field(
        default=None, min_length=1, max_length=64,
        description="Your team as in the institution's load signals (optional); hashed too.",
    )  # fmt: skip


class LinkOut(BaseModel):
    linked: bool
    team_linked: bool = False
    linked_at: datetime | None = None


class CheckinOut(BaseModel):
    id: uuid.UUID
    status: CheckinStatus
    reason: CheckinReason
    message: str
    event_date: date | None
    offered_at: datetime | None
    reminded: bool = Field(description="True once the one reminder after 'Not now' was shown.")


class CheckinAccepted(BaseModel):
    checkin: CheckinOut
    request: SupportRequestOut


# -- institution admins ------------------------------------------------------------------------


class CredentialCreate(Request):
    label: str = Field(min_length=1, max_length=100, examples=["Incident reporting (RL6)"])


class CredentialOut(BaseModel):
    id: uuid.UUID
    institution_id: uuid.UUID
    label: str
    fingerprint: str = Field(description="First 16 hex digits of the secret's SHA-256.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class CredentialCreated(CredentialOut):
    secret: str = Field(description="Shown once: the HMAC key for Peerhaven-Signature.")


# -- the intake --------------------------------------------------------------------------------


class IntakeOut(BaseModel):
    """The same answer however many (if any) participants matched a link."""

    status: IntakeResult


# -- team scores and the aggregate view (admins) -----------------------------------------------


class SignalScoreOut(BaseModel):
    value: float
    baseline_mean: float | None
    baseline_sd: float | None
    z: float


class TeamScoreOut(BaseModel):
    team: str
    signals: dict[str, SignalScoreOut]
    score: float
    flagged: bool


class FormulaOut(BaseModel):
    text: str
    weights: dict[str, float]
    threshold: float
    baseline_weeks: int
    min_baseline: int


class TeamScoresOut(BaseModel):
    """Team-level only: no member, link or offer is counted here."""

    week: date | None
    formula: FormulaOut
    teams: list[TeamScoreOut]


class CountOut(BaseModel):
    value: int | None = Field(description="None when the count is below k.")
    display: str = Field(examples=["12", "fewer than 5"])


class MonthOut(BaseModel):
    month: str = Field(examples=["2026-03"])
    events_received: CountOut
    checkins_offered: CountOut
    checkins_accepted: CountOut
    conversations_held: CountOut
    teams_flagged: CountOut


class SummaryOut(BaseModel):
    """Completed months only, oldest first; no totals (they would undo the suppression)."""

    institution_id: uuid.UUID
    k: int
    months: list[MonthOut]
