"""Notifications to an account's open sockets: "something changed, re-read it over HTTP".

They carry only ids of the recipient's own resources, never anything about the other side.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from server.pubsub import PubSub
from server.relay.frames import Notify

__all__ = ["SILENT", "Notifier", "PubSubNotifier"]


class Notifier(Protocol):
    async def __call__(self, account_id: uuid.UUID, event: str, **data: Any) -> None: ...


class PubSubNotifier:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def __call__(self, account_id: uuid.UUID, event: str, **data: Any) -> None:
        frame = Notify(event=event, data={k: str(v) for k, v in data.items()})
        await self._pubsub.publish(str(account_id), frame.model_dump_json().encode())


class _Silent:
    async def __call__(self, account_id: uuid.UUID, event: str, **data: Any) -> None:
        return None


SILENT: Notifier = _Silent()
"""For callers with no sockets to tell (the CLI, tests of the pure steps)."""
