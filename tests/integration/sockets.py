"""A raw relay socket for tests: JSON frames in and out of the real `/ws` endpoint."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

__all__ = ["Socket", "closed_with", "open_socket", "token"]


class Socket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.connection.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), timeout)
        frame: dict[str, Any] = json.loads(raw)
        return frame

    async def expect(
        self, kind: str, timeout: float = 5.0, *, skip: frozenset[str] = frozenset({"notify"})
    ) -> dict[str, Any]:
        """The next frame, which must be of `kind` (frames of the `skip` types are passed over)."""
        while True:
            frame = await self.recv(timeout)
            if frame["type"] in skip and frame["type"] != kind:
                continue
            assert frame["type"] == kind, frame
            return frame

    async def silent(self, seconds: float = 0.3) -> bool:
        """True when nothing but notifications arrives for `seconds`."""
        try:
            while True:
                frame = await self.recv(seconds)
                if frame["type"] != "notify":
                    return False
        except TimeoutError:
            return True

    async def close(self) -> None:
        await self.connection.close()


async def open_socket(base_url: str, token: str | None, *, ready: bool = True) -> Socket:
    """Connect to `/ws` and, with a token, authenticate (and await `ready`)."""
    url = base_url.replace("http://", "ws://") + "/ws"
    connection = await connect(url, proxy=None, compression=None, open_timeout=10)
    socket = Socket(connection)
    if token is not None:
        await socket.send({"type": "auth", "token": token})
        if ready:
            await socket.expect("ready")
    return socket


def token(side: Any) -> str:
    """The bearer token of a test side's SDK client (what its `auth` frame carries)."""
    value: str = side.client._token
    return value


async def closed_with(socket: Socket, timeout: float = 5.0) -> int | None:
    """Wait for the server to close `socket`; its close code."""
    await asyncio.wait_for(socket.connection.wait_closed(), timeout)
    return socket.connection.close_code
