"""The application factory. Nothing here runs at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from server.api.middleware import BodyLimit, MetricsMiddleware
from server.api.openapi import install_openapi
from server.api.problems import install_problem_handlers
from server.api.routes import (
    accounts,
    auth,
    checkin_reports,
    checkins,
    federation,
    health,
    intake,
    integration_credentials,
    invites,
    moderation,
    networks,
    profiles,
    rooms,
    s2s,
    support,
    web,
    ws,
)
from server.api.routes import (
    push as push_routes,
)
from server.config import Settings, get_settings
from server.db.engine import Database
from server.federation.gateway import Gateway
from server.federation.outbox import OutboxWorker
from server.jobs import periodic_jobs
from server.platform.logs import protect_logs
from server.platform.metrics import Metrics
from server.platform.notify import PubSubNotifier
from server.platform.periodic import Periodic
from server.platform.pubsub import pubsub_from_url
from server.platform.secrets import load_server_keys
from server.platform.sessions import PubSubSessions
from server.platform.throttle import Throttle, ThrottleStorage
from server.push.notifier import PushingNotifier
from server.push.sender import PushSender
from server.relay.connections import ConnectionCounter
from server.relay.mailbox import Delivery
from server.relay.writer import MailboxWriter
from server.state import AppState
from server.support.roster import Roster

__all__ = ["create_app", "create_app_from_env", "uvicorn_options"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings, *, clock: Callable[[], datetime] = _utcnow) -> FastAPI:
    """Build a Peerhaven app for `settings`. The database must already be migrated."""
    pubsub = pubsub_from_url(settings.redis_url, inbox_size=settings.pubsub_inbox_size)
    db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    keys = load_server_keys(settings)
    throttles = ThrottleStorage(settings.redis_url, key_secret=keys.franking_secret)
    gateway = Gateway(settings, node_key=keys.node_key, clock=clock)
    push = PushSender(
        db, settings=settings, vapid_private_key=keys.vapid_private_key, clock=clock
    )
    metrics = Metrics()
    connections = ConnectionCounter(settings.ws_connections_per_account)
    metrics.watch_connections(lambda: connections.total, lambda: connections.accounts)
    def stored(entry: Delivery) -> None:
        """A delivery was committed: federation wakes its outbox for a remote recipient, and
        push may tell the recipient's phone "New message" if it stays unread."""
        gateway.noticed(entry.recipient_id)
        push.message_stored(entry.recipient_id, entry.id)

    state = AppState(
        settings=settings,
        db=db,
        keys=keys,
        metrics=metrics,
        clock=clock,
        throttles=throttles,
        auth_limiter=Throttle(
            throttles, name="auth", limit=settings.auth_attempts_per_minute, period=60
        ),
        registration_limiter=Throttle(
            throttles, name="registration", limit=settings.registrations_per_hour, period=3600
        ),
        request_limiter=Throttle(
            throttles, name="requests", limit=settings.request_changes_per_hour, period=3600
        ),
        pubsub=pubsub,
        notify=PushingNotifier(PubSubNotifier(pubsub), push),
        end_sessions=PubSubSessions(pubsub),
        connections=connections,
        unauthenticated=ConnectionCounter(settings.ws_unauthenticated_per_address),
        writes=MailboxWriter(
            db,
            server_secret=keys.franking_secret,
            retention=timedelta(seconds=settings.mailbox_retention_seconds),
            clock=clock,
            max_batch=settings.relay_max_batch,
            publish=pubsub.publish_many,
            metrics=metrics,
            on_accepted=stored,
        ),
        roster=Roster(db, pubsub, clock=clock, metrics=metrics),
        federation=gateway,
        push=push,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Here, not earlier: uvicorn has configured its loggers by now.
        protect_logs(protocol_log_interval=settings.ws_protocol_log_interval_seconds)
        await pubsub.start()
        await state.roster.start()
        if settings.match_pool_warm:
            state.roster.warm()
        if settings.relay_group_commit:
            state.writes.start()
        jobs = periodic_jobs(
            state.db, settings=settings, clock=clock, notify=state.notify, source=state.roster,
            federation=state.federation,
        )  # fmt: skip
        outbox_on = settings.federation_outbox_seconds > 0
        workers = [
            OutboxWorker(state.db, gateway, settings=settings, clock=clock)
            for _ in range(settings.federation_outbox_workers if outbox_on else 0)
        ]
        running: list[Periodic | OutboxWorker] = [*jobs, *workers]
        for job in running:
            job.start()
        try:
            yield
        finally:
            for job in running:
                await job.stop()
            await state.push.stop()
            await state.writes.stop()
            await throttles.close()
            await state.roster.stop()
            await state.federation.close()
            await pubsub.stop()
            await state.db.dispose()

    app = FastAPI(
        title="Peerhaven",
        version="0.1.0",
        summary="Confidential, end-to-end encrypted peer support for clinicians.",
        lifespan=lifespan,
    )
    app.state.peerhaven = state
    install_problem_handlers(app)
    install_openapi(app)
    for module in (
        health, auth, accounts, invites, networks, profiles, support, rooms, moderation, ws,
        checkins, checkin_reports, integration_credentials, intake, federation, s2s, push_routes,
    ):  # fmt: skip
        app.include_router(module.router)
    app.include_router(web.create_router(settings))
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        wider=(("/federation/", settings.federation_max_body_bytes),),
    )
    app.add_middleware(MetricsMiddleware, metrics=state.metrics, access_log=settings.access_log)
    return app


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options every way of serving the app must use (`peerhaven serve`, tests,
    benchmarks): the WebSocket frame limit is enforced by the protocol layer, before a frame is
    buffered, not only by the app after it."""
    return {
        "ws_max_size": settings.ws_max_frame_bytes,
        "ws_per_message_deflate": False,  # ciphertext does not compress
        "log_level": settings.log_level.lower(),
        "access_log": False,  # full paths carry ids; the app logs route templates instead
    }


def create_app_from_env() -> FastAPI:
    """Entry point for `uvicorn --factory`: settings from the environment."""
    return create_app(get_settings())
