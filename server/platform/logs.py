"""Logging configuration for `uvicorn`: one format for the app and the server, no addresses.

uvicorn's access log (`uvicorn.access`) writes the full path, so room, request and offer ids, and
the client address; the app logs its own access line by route template instead
(`server.api.middleware`), so the server is started with `access_log=False`. uvicorn also logs
each WebSocket handshake with the client address on `uvicorn.error`: `NoClientAddresses` drops
those lines. The dictionary is applied in every worker process.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["NoClientAddresses", "uvicorn_log_config"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
