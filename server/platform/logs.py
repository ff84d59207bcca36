"""Logging configuration for `uvicorn`: one format for the app and the server, no addresses.

uvicorn's access log (`uvicorn.access`) writes the full path, so room, request and offer ids, and
the client address; the app logs its own access line by route template instead
(`server.api.middleware`), so the server is started with `access_log=False`. uvicorn also logs
each WebSocket handshake with the client address on `uvicorn.error`: `NoClientAddresses` drops
those lines. The dictionary is applied in every worker process.

What the server's logs may carry, at every level: ids and events, never a token, an envelope,
a frame body or an SQL parameter (docs/threat-model.md).

Third-party loggers that print such things at DEBUG are held at WARNING: the WebSocket library's
frame trace (`< TEXT '{"type":"auth","token":…'`; uvicorn hands it its own `uvicorn.error`
logger, so those records are filtered by where they come from), `aiosqlite` (every statement
with its parameters), `sqlalchemy` (result rows at DEBUG), `asyncpg`, `httpx`/`httpcore`.

A text frame that is not UTF-8 makes uvicorn close the socket with 1007 and log an ERROR with a
traceback, which anyone could repeat before logging in to flood the log. That record becomes one
INFO line without a traceback, at most once per interval, counting the ones it stands for.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import websockets

__all__ = [
    "QUIET_LOGGERS",
    "NoClientAddresses",
    "ProtocolNoise",
    "protect_logs",
    "uvicorn_log_config",
]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

QUIET_LOGGERS = ("websockets", "aiosqlite", "asyncpg", "sqlalchemy", "httpx", "httpcore")

_WEBSOCKETS_DIR = os.path.dirname(websockets.__file__) + os.sep
_INVALID_UTF8 = "Invalid UTF-8 sequence received from client."


class ProtocolNoise(logging.Filter):
    """On `uvicorn.error`: drops the WebSocket library's own records below WARNING (frame traces),
    and turns uvicorn's invalid-UTF-8 ERROR into a rate-limited INFO line without a traceback."""

    def __init__(self, interval: float) -> None:
        super().__init__()
        self.interval = interval
        self._last: float | None = None
        self._suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.pathname.startswith(_WEBSOCKETS_DIR):
            return record.levelno >= logging.WARNING
        if record.msg != _INVALID_UTF8:
            return True
        now = time.monotonic()
        if self._last is not None and now - self._last < self.interval:
            self._suppressed += 1
            return False
        self._last, count = now, self._suppressed + 1
        self._suppressed = 0
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        record.msg = "closed %d socket(s) with 1007: a text frame was not UTF-8"
        record.args = (count,)
        return True


def protect_logs(*, protocol_log_interval: float) -> None:
    """Apply the rules above to this process's loggers (idempotent; call after uvicorn has
    configured its own, e.g. at application startup)."""
    for name in QUIET_LOGGERS:  # explicitly: a root logger set to DEBUG later must not reach them
        logging.getLogger(name).setLevel(logging.WARNING)
    uvicorn_error = logging.getLogger("uvicorn.error")
    for existing in uvicorn_error.filters:
        if isinstance(existing, ProtocolNoise):
            existing.interval = protocol_log_interval
            return
    uvicorn_error.addFilter(ProtocolNoise(protocol_log_interval))


class NoClientAddresses(logging.Filter):
    """Drops uvicorn's per-connection lines, which start with the client address."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith('%s - "WebSocket'))


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary for uvicorn's `log_config`, at `level`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"no_addresses": {"()": NoClientAddresses}},
        "formatters": {"plain": {"format": FORMAT}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            # Everything goes through the root handler, so the app's loggers show in every worker.
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {
                "level": level.upper(),
                "filters": ["no_addresses"],
                "propagate": True,
            },
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
    }
