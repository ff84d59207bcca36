"""The other side of a conversation with the browser: the Python client (`client/api.py`) for the
HTTP flow and its sessions, and raw relay frames over a synchronous WebSocket, as
tests/integration/test_relay.py does."""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any

from websockets.sync.client import ClientConnection, connect

from crypto import Envelope, IdentityKeyPair, Session, initiate_session
from tests.integration.flows import Side

__all__ = ["PythonPeer"]


class PythonPeer:
    def __init__(self, side: Side, base_url: str, room_id: str) -> None:
        self.side = side
        self.room_id = room_id
        self.session: Session | None = None
        self.received: list[str] = []
        self.receipts: list[str] = []
        self._url = base_url.replace("http://", "ws://") + "/ws"
        self._ws: ClientConnection | None = None
        self._stack = ExitStack()

    def connect(self) -> None:
        self._ws = self._stack.enter_context(
            connect(self._url, compression=None, open_timeout=10, proxy=None)
        )
        self._send({"type": "auth", "token": self.side.client.token})
        assert self._expect("ready")["type"] == "ready"
        self._send({"type": "sync", "after": 0})

    def close(self) -> None:
        self._stack.close()
        self.side.client.close()

    def _send(self, frame: dict[str, Any]) -> None:
        assert self._ws is not None
        self._ws.send(json.dumps(frame))

    def _recv(self, timeout: float) -> dict[str, Any]:
        assert self._ws is not None
        frame: dict[str, Any] = json.loads(self._ws.recv(timeout=timeout))
        return frame

    def _expect(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        while True:
            frame = self._recv(timeout)
            if frame["type"] == kind:
                return frame
            if frame["type"] == "deliver":
                self._deliver(frame)

    def _deliver(self, frame: dict[str, Any]) -> None:
        envelope = Envelope.decode(frame["envelope"])
        if self.session is None:
            self.session, message = self.side.client.accept_session(self.room_id, envelope)
        else:
            message = self.session.decrypt(envelope)
        self._send({"type": "ack", "ids": [frame["id"]]})
        if message.plaintext.startswith(b"\0"):
            self.receipts.extend(json.loads(message.plaintext[1:])["receipt"])
        else:
            self.received.append(message.plaintext.decode())

    def receive_text(self, timeout: float = 15.0) -> str:
        """The next chat text from the browser (receipts are collected on the way)."""
        count = len(self.received)
        while len(self.received) == count:
            frame = self._recv(timeout)
            if frame["type"] == "deliver":
                self._deliver(frame)
        return self.received[count]

    def receive_receipt(self, timeout: float = 15.0) -> list[str]:
        """Wait for the browser's encrypted delivery receipt; the message ids it confirms."""
        while not self.receipts:
            frame = self._recv(timeout)
            if frame["type"] == "deliver":
                self._deliver(frame)
        return self.receipts

    def impostor(self) -> Session:
        """What a malicious server can do: a handshake of its own, with a fresh identity key,
        under this member's id in the room (claiming the browser's bundle like anyone)."""
        room = self.side.client.room(self.room_id)
        _, bundle = self.side.client.claim_peer_bundle(self.room_id)
        return initiate_session(IdentityKeyPair.generate(), bundle, room=self.room_id,
                                device=room["me"]["member_id"],
                                peer_device=room["peer"]["member_id"])  # fmt: skip

    def send_text(self, text: str, *, session: Session | None = None) -> str:
        """Encrypt and send `text` (in `session`, by default this peer's own); returns once the
        server accepted it."""
        if session is None and self.session is None:
            self.session = self.side.client.start_session(self.room_id)
        envelope = (session or self.session).encrypt(text.encode())  # type: ignore[union-attr]
        self._send({"type": "send", "envelope": envelope.encode().decode()})
        accepted = self._expect("accepted")
        assert accepted["client_id"] == envelope.message_id
        return envelope.message_id
