"""Tables. API schemas live in `server.api.schemas`; these never leave the server as they are."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime

__all__ = ["AccessToken", "Account", "Institution", "Invite", "LoginChallenge", "Network"]


def _utc(*, nullable: bool = False, index: bool = False) -> sa.Column[datetime]:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


class Network(SQLModel, table=True):
    """An inter-institutional network (e.g. a state hospital association) pooling supporters."""

    __tablename__ = "networks"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=_utc())


class Institution(SQLModel, table=True):
    """A hospital or practice in a network. Matching never pairs two people of one institution."""

    __tablename__ = "institutions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="networks.id", index=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=_utc())


class Account(SQLModel, table=True):
    """A person's account. The credential is the device's Ed25519 key; no name, no e-mail."""

    __tablename__ = "accounts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True)
    role: str = Field(max_length=32)
    identity_key: bytes = Field(
        sa_column=sa.Column(sa.LargeBinary(32), nullable=False, unique=True)
    )
    created_at: datetime = Field(sa_column=_utc())
    disabled_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class Invite(SQLModel, table=True):
    """A single-use, expiring invite code with a role. Only the code's SHA-256 is stored."""

    __tablename__ = "invites"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True)
    role: str = Field(max_length=32)
    code_hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False, unique=True))
    created_by: uuid.UUID | None = Field(default=None, foreign_key="accounts.id")
    created_at: datetime = Field(sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc())
    redeemed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    redeemed_by: uuid.UUID | None = Field(default=None, foreign_key="accounts.id")
    revoked_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class LoginChallenge(SQLModel, table=True):
    """A server nonce for challenge-response login; usable once, until it expires."""

    __tablename__ = "login_challenges"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    identity_key: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    nonce: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    expires_at: datetime = Field(sa_column=_utc(index=True))
    used: bool = Field(default=False)


class AccessToken(SQLModel, table=True):
    """An opaque bearer token, stored only as its SHA-256."""

    __tablename__ = "access_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True)
    token_hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc(index=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
