"""API schemas: what crosses the wire. Tables live in `server.db.models`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from server.roles import Role

__all__ = [
    "ChallengeCreate",
    "ChallengeOut",
    "InviteCreate",
    "InviteCreated",
    "InviteOut",
    "LoginRequest",
    "MeOut",
    "NetworkOut",
    "OrgOut",
    "Registration",
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
    status: Literal["open", "redeemed", "revoked", "expired"]
    created_at: datetime
    expires_at: datetime


class InviteCreated(InviteOut):
    code: str = Field(description="Shown once; only its hash is stored.")
