"""What a relay socket needs from the app, built once by `create_app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from server.config import Settings
from server.db.engine import Database
from server.platform.pubsub import PubSub
from server.relay.connections import ConnectionCounter
from server.relay.watch import SessionWatch
from server.relay.writer import MailboxWriter

__all__ = ["RelayContext"]


@dataclass(frozen=True)
class RelayContext:
    settings: Settings
    db: Database
    pubsub: PubSub
    writes: MailboxWriter
    connections: ConnectionCounter  # open sockets per account
    unauthenticated: ConnectionCounter  # sockets per client address not yet authenticated
    clock: Callable[[], datetime]
    sessions: SessionWatch  # the periodic check of this worker's sockets' tokens
