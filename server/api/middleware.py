"""HTTP middleware: the request body limit, and metrics and the access log by route template.

The body limit is answered with problem details. A declared oversized Content-Length is refused
before anything reads the body; a streamed body is counted as it arrives and refused as soon as
it passes the limit. (FastAPI's own `max_body_size` answers in plain text, so it is not used.)
"""

from __future__ import annotations

import logging
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.api.problems import problem_response
from server.errors import PayloadTooLarge
from server.platform.metrics import Metrics

__all__ = ["BodyLimit", "MetricsMiddleware"]

log = logging.getLogger(__name__)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"request body is larger than {self.max_bytes} bytes"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await problem_response(PayloadTooLarge(detail))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI passes HTTPException raised while reading on to the problem handlers.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, counted, send)


class MetricsMiddleware:
    """Counts requests by route *template*, so ids never become label values, and writes the
    access log the same way: method, template, status, milliseconds; never a path, a query, an
    id or a client address (uvicorn's own access log is off, see `server.platform.logs`)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, *, access_log: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(template, scope["method"], str(status)).inc()
            self.metrics.latency.labels(template).observe(elapsed)
            if self.access_log:
                log.info("%s %s %d %.1fms", scope["method"], template, status, elapsed * 1000)
