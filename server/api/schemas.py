"""API schemas: what crosses the wire. Tables live in `server.db.models`."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from matching.taxonomy import Level, load_taxonomy
from matching.vocabulary import CareerStage, Topic
from server.accounts.invites import InviteStatus
from server.accounts.roles import Role
from server.rooms.states import RoomKind, RoomStatus
from server.support.states import OfferStatus, RequestStatus

__all__ = [
    "PATTERN_MESSAGES",
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
    "ProblemDetails",
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

# Canonical unpadded (or padded) base64url of exactly 32 / 64 bytes: the last character carries
# only the bits that remain, so the pattern admits exactly the canonical encodings.
B64_32 = r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]=?$"
B64_64 = r"^[A-Za-z0-9_-]{85}[AQgw](==)?$"
B64Key = Field(min_length=43, max_length=44, pattern=B64_32, description="32 bytes, base64url")
B64Signature = Field(
    min_length=86, max_length=88, pattern=B64_64, description="64 bytes, base64url"
)
def _json_integer(value: object) -> object:
    # A JSON integer: 3 or 3.0 (JSON Schema counts both), never true/false or "3", which
    # pydantic's lax mode would take.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("Input should be an integer")
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]
LANGUAGE = r"^[a-z]{2}$"
# What a pattern mismatch means, for `server.api.problems` (the pattern itself helps nobody).
PATTERN_MESSAGES = {
    B64_32: "must be 32 bytes in canonical base64url",
    B64_64: "must be 64 bytes in canonical base64url",
    LANGUAGE: "must be an ISO 639-1 language code such as 'en'",
}
Language = Annotated[str, Field(pattern=LANGUAGE, description="ISO 639-1 code")]


def _one_of(values: Callable[[], Iterable[str]]) -> Callable[[dict[str, Any]], None]:
    """Declare a vocabulary as an OpenAPI `enum` on a `str` field (the server still checks it,
    so its own message is what a caller gets)."""

    def extra(schema: dict[str, Any]) -> None:
        schema["enum"] = sorted(values())

    return extra


def _specialties() -> Iterable[str]:
    taxonomy = load_taxonomy()
    return (n.code for n in taxonomy.nodes if n.level is not Level.GROUPING)


def _topics() -> Iterable[str]:
    return (t.value for t in Topic)


def _career_stages() -> Iterable[str]:
    return (c.value for c in CareerStage)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldProblem(BaseModel):
    field: str = Field(description="Where, as a dotted path (`(unknown field)` for extra ones)")
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details: every error the API answers (`application/problem+json`).
    `detail` says what was wrong and never quotes the request."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    errors: list[FieldProblem] | None = Field(
        default=None, description="For 422 from schema validation: one entry per problem."
    )


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
    # Constraints before the validator, so they reach the JSON schema inside the union.
    expires_in_hours: (
        Annotated[int, Field(ge=1, le=90 * 24), BeforeValidator(_json_integer)] | None
    ) = None


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
    specialty: str = Field(
        min_length=1,
        max_length=32,
        examples=["207P00000X"],
        json_schema_extra=_one_of(_specialties),
    )
    years_experience: JsonInt = Field(ge=0, le=70)
    career_stage: str = Field(
        min_length=1,
        max_length=32,
        examples=["mid-career"],
        json_schema_extra=_one_of(_career_stages),
    )
    languages: list[Language] = Field(min_length=1, max_length=10, examples=[["en"]])
    time_zone: str = Field(
        min_length=1,
        max_length=64,
        examples=["Europe/Berlin"],
        description="An IANA time zone name (checked by the server; 422 when unknown).",
    )


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

    start: JsonInt = Field(ge=0, le=1440)
    end: JsonInt = Field(ge=0, le=1440)


Topic_ = Annotated[str, Field(json_schema_extra=_one_of(_topics))]


class SupporterProfileIn(Request):
    topic_expertise: list[Topic_] = Field(default_factory=list, max_length=20)
    concurrent_cap: JsonInt = Field(default=2, ge=0, le=50)
    weekly_cap: JsonInt = Field(default=3, ge=0, le=50)
    available: bool = Field(default=True, strict=True)
    daily_hours: list[DailyHours] = Field(default_factory=list, max_length=7)


class SupporterProfileOut(BaseModel):
    topic_expertise: list[str]
    concurrent_cap: int
    weekly_cap: int
    available: bool
    daily_hours: list[DailyHours]


class AvailabilityIn(Request):
    available: bool = Field(strict=True)


class SpecialtyOut(BaseModel):
    code: str
    label: str
    path: list[str]


# -- support requests and offers -----------------------------------------------------------------


class SupportRequestIn(Request):
    topics: list[Topic_] = Field(min_length=1, max_length=5, examples=[["adverse-event"]])
    urgency: Literal["routine", "soon", "urgent"] = "routine"
    languages: list[Language] | None = Field(
        default=None, max_length=10, description="Defaults to the profile's languages."
    )
    same_specialty_only: bool = Field(default=False, strict=True)


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
        min_length=86, max_length=88, pattern=B64_64, description="Device-key signature, base64url"
    )


class SignedPreKeyIn(Request):
    key_id: JsonInt = KeyId
    public_key: str = B64Key
    signature: str = B64Signature


class OneTimePreKeyIn(Request):
    key_id: JsonInt = KeyId
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
