"""Per-app state built by `create_app` and reached from requests through dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from server.config import Settings
from server.db.engine import Database
from server.federation.gateway import Gateway
from server.platform.metrics import Metrics
from server.platform.notify import Notifier
from server.platform.pubsub import PubSub
from server.platform.secrets import ServerKeys
from server.platform.sessions import SessionEnder
from server.platform.throttle import Throttle, ThrottleStorage
from server.push.sender import PushSender
from server.relay.connections import ConnectionCounter
from server.relay.context import RelayContext
from server.relay.watch import SessionWatch
from server.relay.writer import MailboxWriter
from server.support.roster import Roster

__all__ = ["AppState"]


@dataclass
class AppState:
    settings: Settings
    db: Database
    keys: ServerKeys
    metrics: Metrics
    clock: Callable[[], datetime]
    throttles: ThrottleStorage
    auth_limiter: Throttle
    registration_limiter: Throttle
    request_limiter: Throttle
    pubsub: PubSub
    notify: Notifier
    end_sessions: SessionEnder
    connections: ConnectionCounter
    unauthenticated: ConnectionCounter
    writes: MailboxWriter
    roster: Roster
    federation: Gateway
    push: PushSender

    @cached_property
    def relay(self) -> RelayContext:
        """Built once: its `sessions` watch is one per worker, for all the worker's sockets."""
        return RelayContext(
            settings=self.settings,
            db=self.db,
            pubsub=self.pubsub,
            writes=self.writes,
            connections=self.connections,
            unauthenticated=self.unauthenticated,
            clock=self.clock,
            sessions=SessionWatch(
                self.db, clock=self.clock, every=self.settings.ws_session_check_seconds
            ),
        )
