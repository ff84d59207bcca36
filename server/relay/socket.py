"""One WebSocket connection: authenticate with the first frame, then serve it until it ends.

The connection's own task reads the client's frames; one more task, the pump, forwards the pub/sub
inbox (`deliver` in seq order, see `server.relay.lane`). The token's expiry is a timer, and the
periodic re-check of revocation is the worker's `SessionWatch`, not a task per socket. Either of
them, or the pump, ends the connection by cancelling the reader with the reason to close.

When a send fails because the client went away, the reader does not stop at once: it goes on
through the frames the server had already received (up to the disconnect) and processes their
acks, so entries a client acknowledged just before dropping leave the mailbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import datetime

from pydantic import BaseModel
from starlette.websockets import (
    WebSocket,
    WebSocketDisconnect,
    WebSocketDisconnected,
    WebSocketState,
)

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


_DRAIN_SECONDS = 5.0
"""A guard, not a tunable: after a failed send the transport has already queued everything it
received and then the disconnect, so draining ends by itself; this bounds it if it did not."""


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


class _Gone(Exception):
    """A send failed: the client is gone. Only its already received frames remain to process."""


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
        # Both locks are made on first use: an idle socket never needs them.
        self._send_lock: asyncio.Lock | None = None
        self._lane_lock: asyncio.Lock | None = None  # a sync answer and live deliveries never mix
        self._gone = False  # a send failed: drain the received frames, send nothing more
        self._ending: BaseException | None = None  # why the reader was cancelled
        self._reader: asyncio.Task[object] | None = None
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
        except (WebSocketDisconnect, OSError, _Gone):  # OSError: uvicorn's ClientDisconnected
            log.debug("conn %s disconnected", self.id)
        except Exception as exc:  # the store failed under the pump: start over
            log.warning("conn %s failed (%s); closing", self.id, type(exc).__name__)
            await self._close(CloseCode.INTERNAL_ERROR, "server error; reconnect")

    async def _serve(self, account_id: uuid.UUID, inbox: Inbox) -> None:
        # Subscribed first, then read: every later entry reaches the inbox (or leaves a gap).
        cursor = await self._open_lane(account_id)
        # Nothing else sends yet: no lock (an idle socket never makes one).
        await self._send_text(Ready(cursor=cursor).model_dump_json(), alone=True)
        assert self.token_id is not None and self.token_expires is not None
        self._reader = asyncio.current_task()
        loop = asyncio.get_running_loop()
        left = (self.token_expires - self.state.clock()).total_seconds()
        expiry = loop.call_later(
            max(0.0, left), self._stop, _Closed(CloseCode.UNAUTHENTICATED, "token expired")
        )
        pump = asyncio.create_task(self._pump(inbox), name=f"pump-{self.id}")
        pump.add_done_callback(self._pump_ended)
        try:
            with self.state.sessions.watch(self.token_id, self._session_ended):
                await self._receive()
        except asyncio.CancelledError:
            reason, self._ending = self._ending, None
            if reason is None:  # the server is shutting down
                raise
            asyncio.current_task().uncancel()  # type: ignore[union-attr]
            raise reason from None
        finally:
            expiry.cancel()
            pump.remove_done_callback(self._pump_ended)
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, _Gone, _Closed, Exception):
                await pump
            self._reader = None

    async def _open_lane(self, account_id: uuid.UUID) -> int:
        """Read where the account's mailbox stands and set up the lane; the cursor. (A function of
        its own: a local `session` in `_serve`'s frame would keep the closed session, its
        identity map and its event registry alive for the socket's whole life.)"""
        async with self.state.db.session() as session:
            where = await mailbox.position(session, account_id=account_id)
        self.lane = DeliveryLane(cursor=where.cursor, backlog=where.backlog)
        return where.cursor

    def _stop(self, reason: BaseException) -> None:
        """End the connection from outside the reader (a timer, the pump, the session watch):
        cancel the reader, which raises `reason` in its place. The first reason wins."""
        if self._ending is None and self._reader is not None and not self._reader.done():
            self._ending = reason
            self._reader.cancel()

    def _session_ended(self) -> None:
        self._stop(_Closed(CloseCode.UNAUTHENTICATED, "session ended"))

    def _pump_ended(self, pump: asyncio.Task[None]) -> None:
        if pump.cancelled():
            return
        error = pump.exception()
        if error is None or isinstance(error, _Gone):  # gone: the reader drains, then ends
            return
        self._stop(error)

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
        """Read frames until the client disconnects (`WebSocketDisconnect`) or one of them closes
        the connection (`_Closed`)."""
        while True:
            raw = await self._receive_raw()
            if self.limiter.acquire("frames", now=time.monotonic()) > 0:
                raise _Closed(CloseCode.RATE_LIMITED, "too many frames")
            self._check_expiry()
            try:
                await self._frame(raw)
            except _Gone:
                self._drain()

    def _drain(self) -> None:
        """The client is gone: keep reading what it sent before (until the disconnect the
        transport queued after it), but not forever."""
        if self._ending is None and self._reader is not None:
            loop = asyncio.get_running_loop()
            loop.call_later(_DRAIN_SECONDS, self._stop, WebSocketDisconnect(1006))

    async def _frame(self, raw: str | bytes) -> None:
        assert self.account_id is not None
        try:
            if isinstance(raw, bytes):
                raise MalformedFrame(_BINARY)
            frame = parse_client_frame(raw)
            if self._gone and not isinstance(frame, Ack):  # nobody to answer: only acks count
                return
            await self._handle(frame)
        except ServiceError as error:
            await self._send(error_frame(error))
        except (WebSocketDisconnect, _Closed, _Gone, OSError):
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
        async with self._lane():
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

    def _lane(self) -> asyncio.Lock:
        if self._lane_lock is None:
            self._lane_lock = asyncio.Lock()
        return self._lane_lock

    async def _pump(self, inbox: Inbox) -> None:
        while True:
            item = await inbox.get()
            if isinstance(item, Control):
                self._obey(item)
            elif isinstance(item, bytes):  # a notification: not part of the mailbox's order
                await self._send_text(item.decode())
            else:
                async with self._lane():
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

    # -- output -----------------------------------------------------------------------------------

    async def _send(self, frame: BaseModel) -> None:
        await self._send_text(frame.model_dump_json())

    async def _send_text(self, text: str, *, alone: bool = False) -> None:
        """Send one frame (`alone`: no other sender can exist yet); raises `_Gone` when the
        client is gone (then and ever after)."""
        if self._gone:
            raise _Gone
        try:
            if alone:
                await self.ws.send_text(text)
                return
            if self._send_lock is None:
                self._send_lock = asyncio.Lock()
            async with self._send_lock:
                await self.ws.send_text(text)
        except (WebSocketDisconnect, OSError, WebSocketDisconnected):
            self._gone = True
            raise _Gone from None

    async def _close(self, code: CloseCode, reason: str) -> None:
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
                await self.ws.close(code=int(code), reason=reason)
