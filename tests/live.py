"""A real Peerhaven: migrated database, uvicorn on a free port in a background thread."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from server.app import create_app, uvicorn_options
from server.config import Settings
from server.db import migrate
from server.platform.logs import NoClientAddresses

__all__ = ["LiveServer", "serve"]

_NO_ADDRESSES = NoClientAddresses()


@dataclass
class LiveServer:
    settings: Settings
    base_url: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10.0)


@contextmanager
def serve(settings: Settings, *, port: int = 0, log_level: str = "warning") -> Iterator[LiveServer]:
    """Migrate `settings.database_url`, then serve the app until the block ends, with the
    options `peerhaven serve` uses (uvicorn's log level is `log_level`).

    `port` 0 picks a free one; give the port of an earlier `serve` to restart "the same" server.
    """
    # Alembic runs its own event loop: keep it off the caller's (async tests have one).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(migrate.upgrade, settings.database_url).result()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    settings = settings.model_copy(update={"port": port})
    app = create_app(settings)
    options = {**uvicorn_options(settings), "log_level": log_level}
    config = uvicorn.Config(app, lifespan="on", **options)
    # Not `uvicorn_log_config`: that configures the root logger, which pytest's capture owns.
    logging.getLogger("uvicorn.error").addFilter(_NO_ADDRESSES)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server thread died while starting")
            threading.Event().wait(0.02)
        yield LiveServer(settings=settings, base_url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
