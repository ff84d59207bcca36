"""API schemas of Web Push (`/api/v1/push/...`): the shape of `PushSubscription.toJSON()`."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PushKeyOut", "PushKeysIn", "PushSubscriptionIn", "PushSubscriptionOut"]


class PushKeysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p256dh: str = Field(min_length=86, max_length=88, description="65 bytes, base64url")
    auth: str = Field(min_length=22, max_length=24, description="16 bytes, base64url")


class PushSubscriptionIn(BaseModel):
    # `expirationTime` is part of toJSON(); it is accepted and not kept.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    endpoint: str = Field(min_length=10, max_length=2048)
    keys: PushKeysIn
    expiration_time: float | None = Field(default=None, alias="expirationTime")


class PushSubscriptionOut(BaseModel):
    """A subscription as its owner sees it; the endpoint is never sent back."""

    id: uuid.UUID
    created_at: datetime


class PushKeyOut(BaseModel):
    """The VAPID public key, for `pushManager.subscribe({applicationServerKey})`."""

    public_key: str = Field(description="65-byte uncompressed P-256 point, base64url")
