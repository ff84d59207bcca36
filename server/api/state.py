"""Per-app state built by `create_app` and reached from requests through dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from server.config import Settings
from server.db.engine import Database
from server.keys import ServerKeys
from server.metrics import Metrics
from server.pubsub import PubSub
from server.ratelimit import RateLimiter
from server.relay.connection_counter import ConnectionCounter
from server.relay.notify import Notifier
from server.relay.writer import MailboxWriter

__all__ = ["AppState"]


@dataclass
class AppState:
    settings: Settings
    db: Database
    keys: ServerKeys
    metrics: Metrics
    clock: Callable[[], datetime]
    auth_limiter: RateLimiter
    registration_limiter: RateLimiter
    pubsub: PubSub
    notify: Notifier
    connections: ConnectionCounter
    writes: MailboxWriter
