"""The relay's WebSocket endpoint (docs/protocol.md section 13)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from server.api.state import AppState
from server.relay.connection import Relay

__all__ = ["router"]

router = APIRouter(tags=["relay"])


@router.websocket("/ws")
async def relay(websocket: WebSocket) -> None:
    state: AppState = websocket.app.state.peerhaven
    await Relay(websocket, state, state.connections).run()
