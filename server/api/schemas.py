"""API schemas: what crosses the wire. Tables live in `server.db.models`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from server.accounts.invites import InviteStatus
from server.accounts.roles import Role
from server.rooms.states import RoomKind, RoomStatus
from server.support.states import OfferStatus, RequestStatus

__all__ = [
    "AvailabilityIn",
    "BundleOut",
    "ChallengeCreate",
    "ChallengeOut",
    "DailyHours",
    "InviteCreate",
    "InviteCreated",
    "InviteOut",
    "LoginRequest",
    "MeOut",
    "MemberOut",
    "NetworkOut",
    "OfferOut",
    "OfferStatusOut",
    "OneTimePreKeyIn",
    "OrgOut",
    "PreKeysIn",
    "PreKeysOut",
    "ProfileIn",
    "ProfileOut",
    "Registration",
    "RoomIdentityIn",
    "RoomOut",
    "SignedPreKeyIn",
    "SpecialtyOut",
    "SupportRequestIn",
    "SupportRequestOut",
    "SupporterProfileIn",
    "SupporterProfileOut",
    "TokenOut",
]

B64Key = Field(min_length=43, max_length=44, description="32 bytes, base64url")
B64Signature = Field(min_length=86, max_length=88, description="64 bytes, base64url")


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Registration(Request):
    invite_code: str = Field(min_length=16, max_length=24, examples=["7K3M-Q9RT-X2VB-HN4P"])
    identity_key: str = B64Key
    signature: str = B64Signature


class ChallengeCreate(Request):
    identity_key: str = B64Key


class ChallengeOut(BaseModel):
    challenge_id: uuid.UUID
    nonce: str
    origin: str
    expires_at: datetime


class LoginRequest(Request):
    challenge_id: uuid.UUID
    signature: str = B64Signature


class OrgOut(BaseModel):
    """An institution or a network: what its members and admins may see."""

    id: uuid.UUID
    slug: str
    name: str


class NetworkOut(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    institutions: list[OrgOut]


class MeOut(BaseModel):
    account_id: uuid.UUID
    role: Role
    institution: OrgOut
    network: OrgOut


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    me: MeOut


class InviteCreate(Request):
    role: Role
    expires_in_hours: int | None = Field(default=None, ge=1, le=90 * 24)


class InviteOut(BaseModel):
    id: uuid.UUID
    institution_id: uuid.UUID
    role: Role
    status: InviteStatus
    created_at: datetime
    expires_at: datetime


class InviteCreated(InviteOut):
    code: str = Field(description="Shown once; only its hash is stored.")


# -- profiles ----------------------------------------------------------------------------------

Code = Field(min_length=1, max_length=32)
KeyId = Field(ge=0, le=0xFFFFFFFF)


class ProfileIn(Request):
    specialty: str = Field(min_length=1, max_length=32, examples=["207P00000X"])
    years_experience: int = Field(ge=0, le=70)
    career_stage: str = Field(min_length=1, max_length=32, examples=["mid-career"])
    languages: list[str] = Field(min_length=1, max_length=10, examples=[["en"]])
    time_zone: str = Field(min_length=1, max_length=64, examples=["Europe/Berlin"])


class ProfileOut(BaseModel):
    specialty: str
    specialty_label: str
    years_experience: int
    career_stage: str
    languages: list[str]
    time_zone: str


class DailyHours(BaseModel):
    """A daily local-time window in minutes after midnight; `end < start` crosses midnight."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0, le=1440)
    end: int = Field(ge=0, le=1440)


class SupporterProfileIn(Request):
    topic_expertise: list[str] = Field(default_factory=list, max_length=20)
    concurrent_cap: int = Field(default=2, ge=0, le=50)
    weekly_cap: int = Field(default=3, ge=0, le=50)
    available: bool = True
    daily_hours: list[DailyHours] = Field(default_factory=list, max_length=7)


class SupporterProfileOut(BaseModel):
    topic_expertise: list[str]
    concurrent_cap: int
    weekly_cap: int
    available: bool
    daily_hours: list[DailyHours]


class AvailabilityIn(Request):
    available: bool


class SpecialtyOut(BaseModel):
    code: str
    label: str
    path: list[str]


# -- support requests and offers -----------------------------------------------------------------


class SupportRequestIn(Request):
    topics: list[str] = Field(min_length=1, max_length=5, examples=[["adverse-event"]])
    urgency: Literal["routine", "soon", "urgent"] = "routine"
    languages: list[str] | None = Field(
        default=None, max_length=10, description="Defaults to the profile's languages."
    )
    same_specialty_only: bool = False


class SupportRequestOut(BaseModel):
    id: uuid.UUID
    status: RequestStatus
    topics: list[str]
    urgency: str
    created_at: datetime
    updated_at: datetime
    offer_expires_at: datetime | None = Field(
        default=None, description="While offered: when the current offer lapses."
    )
    room_id: uuid.UUID | None = None
    crisis_resources: list[str] = Field(
        default_factory=list, description="When no one is available: where to get help now."
    )


class OfferOut(BaseModel):
    """What a supporter sees of an offer: the topics and why they were chosen, no identity."""

    id: uuid.UUID
    topics: list[str]
    urgency: str
    requester_specialty: str
    requester_experience_band: str
    summary: str
    reasons: list[str]
    score: float
    expires_at: datetime


class OfferStatusOut(BaseModel):
    id: uuid.UUID
    status: OfferStatus


# -- rooms and keys ----------------------------------------------------------------------------


class MemberOut(BaseModel):
    """A member as the room shows them: a room-scoped id and key, and a pseudonym."""

    member_id: uuid.UUID
    handle: str
    specialty: str
    experience_band: str
    identity_key: str | None = Field(description="The room-scoped identity key, once registered.")
    left: bool


class RoomOut(BaseModel):
    id: uuid.UUID
    kind: RoomKind = Field(description="support, or moderation (a moderator's private room)")
    status: RoomStatus
    topics: list[str]
    created_at: datetime
    me: MemberOut
    peer: MemberOut


class RoomIdentityIn(Request):
    identity_key: str = B64Key
    signature: str = Field(
        min_length=86, max_length=88, description="Device-key signature, base64url"
    )


class SignedPreKeyIn(Request):
    key_id: int = KeyId
    public_key: str = B64Key
    signature: str = B64Signature


class OneTimePreKeyIn(Request):
    key_id: int = KeyId
    public_key: str = B64Key


class PreKeysIn(Request):
    signed_prekey: SignedPreKeyIn | None = None
    one_time_prekeys: list[OneTimePreKeyIn] = Field(default_factory=list, max_length=100)


class PreKeysOut(BaseModel):
    one_time_prekeys_available: int


class BundleOut(BaseModel):
    """The peer's bundle in `crypto.PreKeyBundle.from_json` form, and their room member id."""

    member_id: uuid.UUID
    bundle: dict[str, str | int]
