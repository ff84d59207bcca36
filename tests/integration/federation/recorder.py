"""A recording reverse proxy: it stands in front of a node as that node's public URL, passes
every request on, and keeps every request and response body and signature header it saw."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["Recorder", "recording_proxy"]

_HOP = {"host", "content-length", "transfer-encoding", "connection"}


@dataclass
class Recorder:
    url: str
    target: str = ""
    # (path, request body, request headers, response body)
    seen: list[tuple[str, bytes, bytes, bytes]] = field(default_factory=list)

    def everything(self) -> bytes:
        return b"\n".join(b" ".join((p.encode(), *rest)) for p, *rest in self.seen)


@contextmanager
def recording_proxy() -> Iterator[Recorder]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    recorder = Recorder(url=f"http://127.0.0.1:{sock.getsockname()[1]}")
    client = httpx.AsyncClient(timeout=30)

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        url = (
            recorder.target
            + request.url.path
            + (f"?{request.url.query}" if request.url.query else "")
        )
        try:
            upstream = await client.request(request.method, url, content=body, headers=headers)
        except httpx.HTTPError:
            await Response(status_code=502)(scope, receive, send)
            return
        recorder.seen.append((request.url.path, body, str(headers).encode(), upstream.content))
        out = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in _HOP | {"content-encoding"}
        }
        await Response(upstream.content, status_code=upstream.status_code, headers=out)(
            scope, receive, send
        )

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))

    async def run() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            await client.aclose()

    thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    try:
        yield recorder
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
