"""Notifications to an account's open sockets: "something changed, re-read it over HTTP".

They carry only ids of the recipient's own resources, never anything about the other side. The
frame is the relay's `notify` frame (`server.relay.frames.Notify`, docs/protocol.md §13); it is
written here so that domain code can notify without importing the relay.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Protocol

from server.platform.pubsub import PubSub

__all__ = ["SILENT", "Notifier", "PubSubNotifier", "notify_frame"]


def notify_frame(event: str, **data: Any) -> bytes:
    """The `notify` frame's JSON; every value is sent as a string."""
    frame = {"type": "notify", "event": event, "data": {k: str(v) for k, v in data.items()}}
    return json.dumps(frame, separators=(",", ":")).encode()


class Notifier(Protocol):
    async def __call__(self, account_id: uuid.UUID, event: str, **data: Any) -> None: ...


class PubSubNotifier:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def __call__(self, account_id: uuid.UUID, event: str, **data: Any) -> None:
        await self._pubsub.publish(str(account_id), notify_frame(event, **data))


class _Silent:
    async def __call__(self, account_id: uuid.UUID, event: str, **data: Any) -> None:
        return None


SILENT: Notifier = _Silent()
"""For callers with no sockets to tell (the CLI, tests of the pure steps)."""
