"""The relay's WebSocket endpoint (docs/protocol.md section 13)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from server.relay.socket import RelaySocket
from server.state import AppState

__all__ = ["router"]

router = APIRouter(tags=["relay"])


@router.websocket("/ws")
async def relay(websocket: WebSocket) -> None:
    state: AppState = websocket.app.state.peerhaven
    await RelaySocket(websocket, state.relay).run()
