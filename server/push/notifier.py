"""A `Notifier` that also pushes: the socket notice goes out as before, and the events a person
must hear about with the app closed get a content-free push too.

A moderation `flag` notice pushes only when someone must act: a new flag (`raised`, to the
on-duty primary tier) and each escalation (`escalated`, to the tier it reached and those below,
network admins included for the last one). Claims, acknowledgements and resolutions only keep
open consoles current."""

from __future__ import annotations

import uuid
from typing import Any

from server.platform.notify import Notifier
from server.push.kinds import PushKind
from server.push.sender import PushSender

__all__ = ["FLAG_CHANGES_PUSHED", "PUSHED_EVENTS", "PushingNotifier", "push_kind"]

PUSHED_EVENTS: dict[str, PushKind] = {"offer": PushKind.OFFER, "flag": PushKind.FLAG}
"""Socket events that also push. A matched room is pushed by the accept route itself: the
`room` event also means "the peer's keys changed" and must not wake anyone."""

FLAG_CHANGES_PUSHED = frozenset({"raised", "escalated"})
"""The `change`s of a `flag` notice that need a moderator (server.moderation.escalation)."""


def push_kind(event: str, data: dict[str, Any]) -> PushKind | None:
    """The push a socket notice also sends, if any."""
    kind = PUSHED_EVENTS.get(event)
    if kind is PushKind.FLAG and data.get("change") not in FLAG_CHANGES_PUSHED:
        return None
    return kind


class PushingNotifier:
    def __init__(self, inner: Notifier, sender: PushSender) -> None:
        self._inner = inner
        self._sender = sender

    async def __call__(self, account_id: uuid.UUID, event: str, **data: Any) -> None:
        await self._inner(account_id, event, **data)
        kind = push_kind(event, data)
        if kind is not None:
            self._sender.push(account_id, kind)
