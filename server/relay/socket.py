"""One WebSocket connection: authenticate with the first frame, then run three tasks side by side
until one ends: a receiver (client frames), a pump (pub/sub inbox → `deliver`, in seq order, see
`server.relay.lane`) and a watch (the token's expiry and revocation)."""

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
from server.accounts import auth
from server.errors import (
    AlreadyAuthenticated,
    MalformedFrame,
    PayloadTooLarge,
    ServiceError,
    Unauthenticated,
    Unavailable,
)
from server.platform.pubsub import RESYNC, Control, Inbox, Sequenced
from server.platform.ratelimit import RateLimiter
from server.platform.sessions import SESSION_ENDED
from server.relay import mailbox
from server.relay.context import RelayContext
from server.relay.errors import error_frame
from server.relay.frames import (
    Accepted,
    Ack,
    Auth,
    CloseCode,
    Ping,
    Pong,
    Ready,
    Send,
    Sync,
    Synced,
    deliver_frame,
    parse_client_frame,
)
from server.relay.lane import DeliveryLane, Verdict

__all__ = ["RelaySocket", "deliver_frame"]

log = logging.getLogger(__name__)

_BINARY = "binary frames are not accepted: send one JSON object per text frame"


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
        self._lane_lock = asyncio.Lock()  # a sync answer and live deliveries never interleave
        self._missed = False  # live deliveries arrived while the lane was closed
        self.lane = DeliveryLane(cursor=0, backlog=True)
        self.account_id: uuid.UUID | None = None
        self.token_id: uuid.UUID | None = None
        self.token_expires: datetime | None = None

    async def run(self) -> None:
        await self.ws.accept()
        address = self.ws.client.host if self.ws.client else "unknown"
        try:
            with self.state.unauthenticated.hold(address) as admitted:
                if not admitted:
                    raise _Closed(CloseCode.TOO_MANY_CONNECTIONS, "too many unauthenticated")
                account_id = await self._authenticate()
            with self.connections.hold(account_id) as admitted:
                if not admitted:
                    raise _Closed(CloseCode.TOO_MANY_CONNECTIONS, "too many connections")
                with self.state.pubsub.subscribe(str(account_id)) as inbox:
                    await self._serve(account_id, inbox)
        except _Closed as closed:
            log.info("conn %s closed: %s", self.id, closed.reason)
            await self._close(closed.code, closed.reason)
        except (WebSocketDisconnect, OSError):  # OSError: uvicorn's ClientDisconnected
            log.debug("conn %s disconnected", self.id)
        except Exception as exc:  # the store failed under the pump or the watch: start over
            log.warning("conn %s failed (%s); closing", self.id, type(exc).__name__)
            await self._close(CloseCode.INTERNAL_ERROR, "server error; reconnect")

    async def _serve(self, account_id: uuid.UUID, inbox: Inbox) -> None:
        # Subscribed first, then read: every later entry reaches the inbox (or leaves a gap).
        async with self.state.db.session() as session:
            where = await mailbox.position(session, account_id=account_id)
        self.lane = DeliveryLane(cursor=where.cursor, backlog=where.backlog)
        await self._send(Ready(cursor=where.cursor))
        tasks = [
            asyncio.create_task(self._receive(), name=f"receive-{self.id}"),
            asyncio.create_task(self._pump(inbox), name=f"pump-{self.id}"),
            asyncio.create_task(self._watch(), name=f"watch-{self.id}"),
        ]
        try:
            done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, OSError,
                                         RuntimeError, _Closed):  # fmt: skip
                    await task
        for task in done:
            error = task.exception()
            if error is not None:
                raise error

    async def _authenticate(self) -> uuid.UUID:
        try:
            raw = await asyncio.wait_for(
                self._receive_raw(), timeout=self.settings.ws_auth_timeout_seconds
            )
        except TimeoutError:
            raise _Closed(CloseCode.AUTH_TIMEOUT, "no auth frame in time") from None
        if isinstance(raw, bytes):
            raise _Closed(CloseCode.UNAUTHENTICATED, "first frame must be auth")
        try:
            frame = parse_client_frame(raw)
        except ServiceError:
            raise _Closed(CloseCode.UNAUTHENTICATED, "first frame must be auth") from None
        if not isinstance(frame, Auth):
            raise _Closed(CloseCode.UNAUTHENTICATED, "first frame must be auth")
        try:
            async with self.state.db.session() as session:
                grant = await auth.authenticate_token(
                    session, token=frame.token, now=self.state.clock()
                )
        except Unauthenticated as error:
            raise _Closed(CloseCode.UNAUTHENTICATED, error.detail) from None
        self.account_id, self.token_id = grant.account.id, grant.token_id
        self.token_expires = grant.expires_at
        log.info("conn %s authenticated", self.id)
        return grant.account.id

    async def _receive_raw(self) -> str | bytes:
        """The next frame: text as `str`, binary as `bytes` (refused by the callers)."""
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text: str | None = message.get("text")
        if text is None:
            data: bytes = message.get("bytes") or b""
            if len(data) > self.settings.ws_max_frame_bytes:
                raise _Closed(CloseCode.TOO_BIG, "frame too large")
            return data
        # The limit is in bytes, and a character can take four.
        size = len(text)
        if size * 4 > self.settings.ws_max_frame_bytes:
            size = len(text.encode())
        if size > self.settings.ws_max_frame_bytes:
            raise _Closed(CloseCode.TOO_BIG, "frame too large")
        return text

    async def _receive(self) -> None:
        assert self.account_id is not None
        while True:
            raw = await self._receive_raw()
            if self.limiter.acquire("frames", now=time.monotonic()) > 0:
                raise _Closed(CloseCode.RATE_LIMITED, "too many frames")
            self._check_expiry()
            try:
                if isinstance(raw, bytes):
                    raise MalformedFrame(_BINARY)
                frame = parse_client_frame(raw)
                await self._handle(frame)
            except ServiceError as error:
                await self._send(error_frame(error))
            except (WebSocketDisconnect, _Closed, OSError):
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
            accepted = await self.state.writes.send(self.account_id, frame.envelope)
        except ServiceError:
            raise
        except Exception as exc:
            log.warning("conn %s: envelope not stored (%s)", self.id, type(exc).__name__)
            raise Unavailable("not stored; send it again", ref=_ref(frame)) from None
        # Persisted (and published by the writer): only now may the sender hear `accepted`.
        await self._send(Accepted(client_id=accepted.client_id, id=accepted.id, ts=accepted.ts))

    # -- the delivery lane ------------------------------------------------------------------------

    async def _sync(self, after: int) -> None:
        """Answer a client's `sync`: every held entry after `after`, then `synced`. Live deliveries
        wait meanwhile, and the first answer opens the lane for them."""
        async with self._lane_lock:
            last = await self._send_held(after)
            self.lane.synced(after, last)
            await self._send(Synced(cursor=last if last is not None else after))

    async def _send_held(self, after: int) -> int | None:
        """Send every entry the mailbox holds after `after`, oldest first; the last seq sent."""
        assert self.account_id is not None
        cursor, last = after, None
        while True:
            async with self.state.db.session() as session:
                batch = await mailbox.pending(
                    session, account_id=self.account_id, after=cursor,
                    limit=self.settings.ws_sync_batch,
                )  # fmt: skip
            for entry in batch:
                await self._send(deliver_frame(entry))
                cursor = last = entry.seq
            if len(batch) < self.settings.ws_sync_batch:
                return last

    async def _catch_up(self) -> None:
        assert self.lane.position is not None
        last = await self._send_held(self.lane.position)
        if last is not None:
            self.lane.sent(last)

    async def _pump(self, inbox: Inbox) -> None:
        while True:
            item = await inbox.get()
            if isinstance(item, Control):
                self._obey(item)
            elif isinstance(item, bytes):  # a notification: not part of the mailbox's order
                await self._send_text(item.decode())
            else:
                async with self._lane_lock:
                    await self._deliver(item)

    async def _deliver(self, item: Sequenced | object) -> None:
        if not self.lane.open:  # the client's first sync will bring it (or a catch-up after it)
            self._missed = True
            return
        if item is RESYNC or self._missed:  # the fast path may have lost some: read the mailbox
            self._missed = False
            await self._catch_up()
            if item is RESYNC:
                assert self.lane.position is not None
                await self._send(Synced(cursor=self.lane.position))
                return
        assert isinstance(item, Sequenced)
        verdict = self.lane.offer(item.seq)
        if verdict is Verdict.CATCH_UP:
            await self._catch_up()
            verdict = self.lane.offer(item.seq)
        if verdict is not Verdict.DROP:  # after a catch-up: it was acknowledged elsewhere
            await self._send_text(item.frame.decode())
            self.lane.sent(item.seq)

    # -- the session ------------------------------------------------------------------------------

    def _obey(self, control: Control) -> None:
        if control.event == SESSION_ENDED:
            token = control.data.get("token")
            if token is None or token == str(self.token_id):
                raise _Closed(CloseCode.UNAUTHENTICATED, "session ended")

    def _check_expiry(self) -> None:
        if self.token_expires is not None and self.state.clock() >= self.token_expires:
            raise _Closed(CloseCode.UNAUTHENTICATED, "token expired")

    async def _watch(self) -> None:
        """Close at the token's expiry; re-check it now and then (revoked, account disabled) in
        case the pub/sub message that ends this session was lost."""
        assert self.token_id is not None and self.token_expires is not None
        every = self.settings.ws_session_check_seconds
        while True:
            left = (self.token_expires - self.state.clock()).total_seconds()
            await asyncio.sleep(max(0.0, min(left, every)))
            self._check_expiry()
            try:
                async with self.state.db.session() as session:
                    active = await auth.token_is_active(
                        session, token_id=self.token_id, now=self.state.clock()
                    )
            except Exception as exc:  # the database is away: the next check, or the expiry
                log.warning("conn %s: session check failed (%s)", self.id, type(exc).__name__)
                continue
            if not active:
                raise _Closed(CloseCode.UNAUTHENTICATED, "session ended")

    # -- output -----------------------------------------------------------------------------------

    async def _send(self, frame: BaseModel) -> None:
        await self._send_text(frame.model_dump_json())

    async def _send_text(self, text: str) -> None:
        async with self._send_lock:
            await self.ws.send_text(text)

    async def _close(self, code: CloseCode, reason: str) -> None:
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
                await self.ws.close(code=int(code), reason=reason)
