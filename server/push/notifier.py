"""A `Notifier` that also pushes: the socket notice goes out as before, and the events a person
must hear about with the app closed get a content-free push too."""

from __future__ import annotations

import uuid
from typing import Any

from server.platform.notify import Notifier
from server.push.kinds import PushKind
from server.push.sender import PushSender

__all__ = ["PUSHED_EVENTS", "PushingNotifier"]

PUSHED_EVENTS: dict[str, PushKind] = {"offer": PushKind.OFFER}
"""Socket events that also push. A matched room is pushed by the accept route itself: the
`room` event also means "the peer's keys changed" and must not wake anyone."""


class PushingNotifier:
    def __init__(self, inner: Notifier, sender: PushSender) -> None:
        self._inner = inner
        self._sender = sender

    async def __call__(self, account_id: uuid.UUID, event: str, **data: Any) -> None:
        await self._inner(account_id, event, **data)
        kind = PUSHED_EVENTS.get(event)
        if kind is not None:
            self._sender.push(account_id, kind)
