"""The baseline relay: the same stack (uvicorn, Starlette WebSockets, JSON frames of the same
shape) with no authentication and no persistence. What Peerhaven is compared against.

A connection says `{"type":"join","name":…,"peer":…}`; every `send` is answered `accepted` and
forwarded to the peer's socket as `deliver`, from memory. Run it with
`uvicorn bench.baseline:create_app --factory`.
"""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

__all__ = ["create_app"]


def _dumps(frame: dict[str, object]) -> str:
    return json.dumps(frame, separators=(",", ":"))  # compact, as Peerhaven's frames


def create_app() -> FastAPI:
    app = FastAPI()
    sockets: dict[str, WebSocket] = {}
    seq = itertools.count(1)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.websocket("/ws")
    async def relay(websocket: WebSocket) -> None:
        await websocket.accept()
        join = json.loads(await websocket.receive_text())
        name, peer = join["name"], join["peer"]
        sockets[name] = websocket
        await websocket.send_text(_dumps({"type": "ready", "cursor": 0}))
        try:
            while True:
                frame = json.loads(await websocket.receive_text())
                if frame["type"] != "send":
                    continue  # acks: nothing to delete
                now = datetime.now(UTC).isoformat()
                server_id = str(uuid.uuid4())
                await websocket.send_text(
                    _dumps({"type": "accepted", "client_id": "", "id": server_id, "ts": now})
                )
                target = sockets.get(peer)
                if target is not None:
                    await target.send_text(_dumps({
                        "type": "deliver", "id": server_id, "seq": next(seq), "room": "",
                        "sender": name, "envelope": frame["envelope"], "ts": now, "tag": "",
                    }))  # fmt: skip
        except WebSocketDisconnect:
            pass
        finally:
            sockets.pop(name, None)

    return app
