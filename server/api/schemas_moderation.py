"""API schemas of moderation: flags, the queue, verification, actions, the rota, report keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.api.schemas import B64Key, B64Signature, Request
from server.moderation.states import Category, FlagStatus, Outcome, Tier

__all__ = [
    "ActionOut",
    "CrisisTiersOut",
    "DutyIn",
    "FlagCreated",
    "FlagIn",
    "FlagOut",
    "ReportKeyIn",
    "ReportKeysOut",
    "ResolveIn",
    "RotaEntryOut",
    "SuspendIn",
    "VerdictOut",
    "VerifyIn",
    "VerifyItem",
]

SeverityName = Literal["normal", "high", "critical"]


class FlagIn(Request):
    category: Category
    sealed_report: str | None = Field(
        default=None,
        description="The sealed report's wire form (docs/protocol.md, Sealed reports), sealed "
        "to exactly the keys of GET /rooms/{id}/report-keys.",
    )


class CrisisTiersOut(BaseModel):
    """Where to get help now, in order: a peer, employee assistance, a crisis line."""

    peer: str
    employee_assistance: str
    crisis_line: str


class FlagCreated(BaseModel):
    id: uuid.UUID
    category: Category
    severity: SeverityName
    created_at: datetime
    crisis_resources: CrisisTiersOut


class ModeratorKeyOut(BaseModel):
    """A moderator's report-key statement: what a member's device checks and pins before it
    seals to `report_key` (docs/protocol.md §14.4). Public keys only."""

    device_key: str
    report_key: str
    signature: str


class ReportKeysOut(BaseModel):
    """The moderator report keys a report in this room is sealed to (all of them, or those
    the member's device trusts), and for members each key's signed statement."""

    keys: list[str]
    moderators: list[ModeratorKeyOut] = []


class ReportKeyIn(Request):
    public_key: str = B64Key
    signature: str = B64Signature


class FlagOut(BaseModel):
    """A flag as the queue shows it. `sealed_report` only for moderators (admins cannot read)."""

    id: uuid.UUID
    room_id: uuid.UUID
    reporter_member_id: uuid.UUID
    category: Category
    severity: SeverityName
    status: FlagStatus
    tier: Tier
    created_at: datetime
    deadline: datetime | None = Field(description="When it escalates unless acknowledged.")
    claimed_by_me: bool
    claimed: bool
    outcome: Outcome | None
    sealed_report: str | None


class ResolveIn(Request):
    outcome: Outcome


class VerifyItem(Request):
    message_id: uuid.UUID
    commitment: str = Field(min_length=43, max_length=44, description="32 bytes, base64url")


class VerifyIn(Request):
    messages: list[VerifyItem] = Field(min_length=1, max_length=50)


class VerdictOut(BaseModel):
    message_id: uuid.UUID
    verified: bool
    sender_member_id: uuid.UUID
    from_reporter: bool
    sent_at: datetime


class SuspendIn(Request):
    member_id: uuid.UUID


class ActionOut(BaseModel):
    flag_id: uuid.UUID
    action: Literal["private_room", "close_room", "suspend"]
    room_id: uuid.UUID | None = None


class DutyIn(Request):
    on_duty: bool
    tier: Literal["primary", "backup"] = "primary"


class RotaEntryOut(BaseModel):
    account_id: uuid.UUID
    tier: Tier
    on_duty: bool
    updated_at: datetime
    has_report_key: bool
