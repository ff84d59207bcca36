"""Ending sessions everywhere: "close this account's sockets (or those of one token) now".

Logout, token revocation and account disable change the database first; then this tells every
worker through pub/sub, and each closes the matching sockets with 4001. Pub/sub may lose the
message (Redis down); each worker also re-checks all its sockets' tokens every
`PEERHAVEN_WS_SESSION_CHECK_SECONDS` (`server.relay.watch`, one query for all), so a lost message
delays the close, never prevents it.
Domain code ends sessions through this without importing the relay.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from server.platform.pubsub import Control, PubSub

__all__ = ["SESSION_ENDED", "PubSubSessions", "SessionEnder", "session_ended"]

SESSION_ENDED = "session_ended"


def session_ended(token_id: uuid.UUID | None = None) -> Control:
    """The control message: for one token's sockets, or (None) for every socket of the account."""
    return Control(SESSION_ENDED, {"token": str(token_id)} if token_id is not None else {})


class SessionEnder(Protocol):
    async def __call__(self, account_id: uuid.UUID, *, token_id: uuid.UUID | None = None) -> None:
        """Close the account's sockets (only those authenticated with `token_id`, if given)."""


class PubSubSessions:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def __call__(self, account_id: uuid.UUID, *, token_id: uuid.UUID | None = None) -> None:
        await self._pubsub.publish(str(account_id), session_ended(token_id))
