"""One WebSocket connection: authenticate with the first frame, then run a receiver (client
frames) and a pump (pub/sub inbox → `deliver`) side by side until either side ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import datetime

from pydantic import BaseModel
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from crypto import DecodeError, Envelope
from crypto.encoding import b64encode
from server.accounts import auth
from server.errors import (
    AlreadyAuthenticated,
    PayloadTooLarge,
    ServiceError,
    Unauthenticated,
    Unavailable,
)
from server.platform.pubsub import RESYNC, Inbox
from server.platform.ratelimit import RateLimiter
from server.relay import mailbox
from server.relay.context import RelayContext
from server.relay.errors import error_frame
from server.relay.frames import (
    Accepted,
    Ack,
    Auth,
    CloseCode,
    Deliver,
    Ping,
    Pong,
    Ready,
    Send,
    Sync,
    Synced,
    parse_client_frame,
)

__all__ = ["RelaySocket", "deliver_frame"]

log = logging.getLogger(__name__)


def deliver_frame(entry: mailbox.Delivery) -> Deliver:
    return Deliver(
        id=entry.id,
        seq=entry.seq,
        room=entry.room_id,
        sender=entry.sender_member_id,
        envelope=entry.envelope,
        ts=entry.created_at,
        tag=b64encode(entry.tag),
    )


def _ref(frame: Send) -> str | None:
    try:
        return Envelope.decode(frame.envelope).message_id
    except DecodeError:
        return None


class _Closed(Exception):
    def __init__(self, code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class RelaySocket:
    """Serves one socket for its whole life. `run` returns when the connection is over."""

    def __init__(self, websocket: WebSocket, context: RelayContext) -> None:
        self.ws = websocket
        self.state = context
        self.settings = context.settings
        self.connections = context.connections
        self.id = uuid.uuid4().hex[:12]
        self.limiter = RateLimiter(
            capacity=self.settings.ws_burst,
            period=self.settings.ws_burst / self.settings.ws_messages_per_second,
        )
        self._send_lock = asyncio.Lock()
        self.account_id: uuid.UUID | None = None
        self.token_expires: datetime | None = None

    async def run(self) -> None:
        await self.ws.accept()
        try:
            account_id = await self._authenticate()
            with self.connections.hold(account_id) as admitted:
                if not admitted:
                    raise _Closed(CloseCode.TOO_MANY_CONNECTIONS, "too many connections")
                with self.state.pubsub.subscribe(str(account_id)) as inbox:
                    await self._serve(account_id, inbox)
        except _Closed as closed:
            log.info("conn %s closed: %s", self.id, closed.reason)
            await self._close(closed.code, closed.reason)
        except WebSocketDisconnect:
            log.debug("conn %s disconnected", self.id)

    async def _serve(self, account_id: uuid.UUID, inbox: Inbox) -> None:
        async with self.state.db.session() as session:
            cursor = await mailbox.cursor(session)
        await self._send(Ready(cursor=cursor))
        pump = asyncio.create_task(self._pump(inbox), name=f"pump-{self.id}")
        try:
            await self._receive()
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await pump

    async def _authenticate(self) -> uuid.UUID:
        try:
            raw = await asyncio.wait_for(
                self._receive_raw(), timeout=self.settings.ws_auth_timeout_seconds
            )
        except TimeoutError:
            raise _Closed(CloseCode.AUTH_TIMEOUT, "no auth frame in time") from None
        try:
            frame = parse_client_frame(raw)
        except ServiceError:
            raise _Closed(CloseCode.UNAUTHENTICATED, "first frame must be auth") from None
        if not isinstance(frame, Auth):
            raise _Closed(CloseCode.UNAUTHENTICATED, "first frame must be auth")
        try:
            async with self.state.db.session() as session:
                account, expires = await auth.authenticate_token(
                    session, token=frame.token, now=self.state.clock()
                )
        except Unauthenticated as error:
            raise _Closed(CloseCode.UNAUTHENTICATED, error.detail) from None
        self.account_id, self.token_expires = account.id, expires
        log.info("conn %s authenticated", self.id)
        return account.id

    async def _receive_raw(self) -> str:
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        raw = message.get("text")
        if raw is None:
            data = message.get("bytes") or b""
            raw = data.decode("utf-8", errors="replace")
        if len(raw) > self.settings.ws_max_frame_bytes:
            raise _Closed(CloseCode.TOO_BIG, "frame too large")
        return raw

    async def _receive(self) -> None:
        assert self.account_id is not None
        while True:
            raw = await self._receive_raw()
            if self.limiter.acquire("frames", now=time.monotonic()) > 0:
                raise _Closed(CloseCode.RATE_LIMITED, "too many frames")
            if self.token_expires is not None and self.state.clock() >= self.token_expires:
                raise _Closed(CloseCode.UNAUTHENTICATED, "token expired")
            try:
                frame = parse_client_frame(raw)
                await self._handle(frame)
            except ServiceError as error:
                await self._send(error_frame(error))
            except (WebSocketDisconnect, _Closed):
                raise
            except Exception as exc:  # the store failed: say so, keep the connection
                log.warning("conn %s: frame failed (%s)", self.id, type(exc).__name__)
                await self._send(error_frame(Unavailable("not stored; try again")))

    async def _handle(self, frame: Auth | Send | Ack | Sync | Ping) -> None:
        assert self.account_id is not None
        if isinstance(frame, Send):
            await self._accept(frame)
        elif isinstance(frame, Ack):
            await self.state.writes.ack(self.account_id, frame.ids)
        elif isinstance(frame, Sync):
            await self._sync(frame.after)
        elif isinstance(frame, Ping):
            await self._send(Pong())
        else:
            raise AlreadyAuthenticated("this connection is authenticated")

    async def _accept(self, frame: Send) -> None:
        assert self.account_id is not None
        if len(frame.envelope) > self.settings.max_envelope_bytes:
            raise PayloadTooLarge(f"envelope over {self.settings.max_envelope_bytes} bytes")
        try:
            accepted = await self._store(frame)
        except ServiceError:
            raise
        except Exception as exc:
            log.warning("conn %s: envelope not stored (%s)", self.id, type(exc).__name__)
            raise Unavailable("not stored; send it again", ref=_ref(frame)) from None
        # Persisted: only now may the sender hear `accepted`.
        await self._send(Accepted(client_id=accepted.client_id, id=accepted.id, ts=accepted.ts))
        if accepted.entry is not None:
            frame_json = deliver_frame(accepted.entry).model_dump_json().encode()
            await self.state.pubsub.publish(str(accepted.entry.recipient_id), frame_json)
            if self.state.on_stored is not None:
                self.state.on_stored(accepted.entry.recipient_id, accepted.entry.id)

    async def _store(self, frame: Send) -> mailbox.Accepted:
        assert self.account_id is not None
        return await self.state.writes.send(self.account_id, frame.envelope)

    async def _sync(self, after: int) -> None:
        assert self.account_id is not None
        cursor = after
        while True:
            async with self.state.db.session() as session:
                batch = await mailbox.pending(
                    session, account_id=self.account_id, after=cursor,
                    limit=self.settings.ws_sync_batch,
                )  # fmt: skip
            for entry in batch:
                await self._send(deliver_frame(entry))
                cursor = entry.seq
            if len(batch) < self.settings.ws_sync_batch:
                break
        await self._send(Synced(cursor=cursor))

    async def _pump(self, inbox: Inbox) -> None:
        while True:
            item = await inbox.get()
            if item is RESYNC:
                await self._sync(0)
            else:
                assert isinstance(item, bytes)
                await self._send_text(item.decode())

    async def _send(self, frame: BaseModel) -> None:
        await self._send_text(frame.model_dump_json())

    async def _send_text(self, text: str) -> None:
        async with self._send_lock:
            await self.ws.send_text(text)

    async def _close(self, code: CloseCode, reason: str) -> None:
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await self.ws.close(code=int(code), reason=reason)
