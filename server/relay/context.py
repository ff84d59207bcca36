"""What a relay socket needs from the app, built once by `create_app`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from server.config import Settings
from server.db.engine import Database
from server.platform.pubsub import PubSub
from server.relay.connections import ConnectionCounter
from server.relay.writer import MailboxWriter

__all__ = ["RelayContext"]


@dataclass(frozen=True)
class RelayContext:
    settings: Settings
    db: Database
    pubsub: PubSub
    writes: MailboxWriter
    connections: ConnectionCounter
    clock: Callable[[], datetime]
    # Told (recipient account, delivery id) after a delivery is stored and published: the app
    # pushes "New message" from it when the delivery stays unread (server.push).
    on_stored: Callable[[uuid.UUID, uuid.UUID], None] | None = None
