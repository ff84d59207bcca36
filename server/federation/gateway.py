"""The node's federation runtime: its identity, its signed transport, and the settings they use.

Built once per app by `create_app`; routes and jobs reach it through `AppState.federation`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from server.config import Settings
from server.federation.node import NodeIdentity
from server.federation.transport import Transport

__all__ = ["Gateway"]


class Gateway:
    """What federation needs at run time. `wake()` tells the outbox there is work now."""

    def __init__(
        self, settings: Settings, *, node_key: bytes, clock: Callable[[], datetime]
    ) -> None:
        self.settings = settings
        self.identity = NodeIdentity(settings.origin, node_key)
        self.clock = clock
        self.window = timedelta(seconds=settings.federation_signature_window_seconds)
        self.transport = Transport(
            self.identity,
            timeout=settings.federation_timeout_seconds,
            clock=clock,
            max_body_bytes=settings.federation_max_body_bytes,
        )
        self.work = asyncio.Event()
        # Stand-in accounts known to this process (refreshed by the outbox rounds): a delivery
        # to one of them wakes the outbox at once instead of at the next poll.
        self.remote: set[uuid.UUID] = set()

    def wake(self) -> None:
        self.work.set()

    def noticed(self, recipient_id: uuid.UUID) -> None:
        """The relay stored a delivery for `recipient_id`."""
        if recipient_id in self.remote:
            self.work.set()

    async def close(self) -> None:
        await self.transport.close()
