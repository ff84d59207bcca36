"""The asyncio shell around :class:`client.relay.Relay`: a WebSocket, a lock, and the disk.

    async with RelayClient(api) as relay:          # api: a logged-in client.Peerhaven
        await relay.open_room(room_id)              # joins the room if need be
        await relay.send(room_id, "hello")          # starts X3DH on first use
        async for event in relay.events():
            ...

The client keeps its one-time prekeys stocked: on a `prekeys_low` notification it makes and saves
more, then uploads them (docs/protocol.md section 13).

One connection at a time; when it drops, the client reconnects with exponential backoff and
jitter, authenticates, syncs from its cursor and re-sends its outbox (the :class:`Relay` does
the bookkeeping). Close code 4001 (token expired or revoked) triggers a fresh login first.
Keys and the ledger are written in a worker thread (Argon2id is slow on purpose) while the lock
keeps the state machine still; frames wait until the write is done.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal, Self

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from client.api import Peerhaven
from client.conversation import Conversation
from client.errors import ApiError
from client.events import Event, Notification, RoomNeeded
from client.relay import Changes, Relay, State
from crypto.relay import CloseCode

__all__ = ["ClientEvent", "Disconnected", "RelayClient", "Stopped", "backoff_delay"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Disconnected:
    """The connection ended (`code` is the close code when there was one); reconnecting."""

    code: int | None
    retry_in: float


@dataclass(frozen=True)
class Stopped:
    """The client gave up (it could not write its keys or ledger, say): `reason` names it."""

    reason: str


ClientEvent = Event | Disconnected | Stopped


def backoff_delay(
    attempt: int,
    *,
    initial: float = 0.5,
    maximum: float = 30.0,
    jitter: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before reconnect `attempt` (0, 1, …): doubling, capped, 50 to 100 %."""
    return min(maximum, initial * 2.0 ** min(attempt, 32)) * (0.5 + jitter() / 2)


class RelayClient:
    """One account's relay connection, kept open until :meth:`close`."""

    def __init__(
        self,
        api: Peerhaven,
        *,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        resync_interval: float = 30.0,
        open_timeout: float = 10.0,
        proxy: str | Literal[True] | None = True,
        one_time_prekeys: int = 10,
    ) -> None:
        """`proxy`: True follows the environment (`https_proxy`, `no_proxy`), None connects
        directly, a URL names a proxy. `one_time_prekeys`: how many unclaimed one-time prekeys
        a top-up restores."""
        self.api = api
        self.relay: Relay | None = None
        self.connected = asyncio.Event()
        self._backoff = (backoff_initial, backoff_max)
        self._resync_interval = resync_interval
        self._open_timeout = open_timeout
        self._proxy = proxy
        self._lock = asyncio.Lock()
        self._opening = asyncio.Lock()  # one room joined at a time: never two room identities
        self._queue: asyncio.Queue[ClientEvent] = asyncio.Queue()
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._helpers: set[asyncio.Task[None]] = set()
        self._closing = False
        self._wake = asyncio.Event()
        self._prekey_target = one_time_prekeys
        self._topping_up: set[str] = set()

    def __repr__(self) -> str:
        return f"RelayClient({self.api.relay_url!r}, connected={self.connected.is_set()})"

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    @property
    def _machine(self) -> Relay:
        if self.relay is None:
            raise RuntimeError("start the relay client first")
        return self.relay

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the ledger and known rooms, then connect in the background."""
        keys = self.api.keys
        ledger = await asyncio.to_thread(keys.ledger)
        rooms = []
        for room, info in ledger.rooms.items():
            store = await asyncio.to_thread(keys.room, room)
            if store is not None:
                rooms.append(Conversation(room, info.me, info.peer, info.handle, store))
        self.relay = Relay(ledger, rooms)
        self._task = asyncio.create_task(self._run(), name="peerhaven-relay")

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        ws = self._ws
        if ws is not None:
            await ws.close()
        for helper in list(self._helpers):
            helper.cancel()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                log.warning("relay task did not stop in time")

    async def drop_connection(self) -> None:
        """Close the current socket as if the network failed; the client reconnects."""
        ws = self._ws
        if ws is not None:
            await ws.close(code=CloseCode.GOING_AWAY)

    # -- what callers use --------------------------------------------------------------------------

    async def open_room(self, room_id: str) -> Conversation:
        """Join `room_id` if need be (room identity, prekeys) and make it usable here."""
        room_id = str(uuid.UUID(str(room_id)))
        machine = self._machine
        async with self._opening:
            if room_id in machine.rooms:
                return machine.rooms[room_id]
            return await self._open(machine, room_id)

    async def _open(self, machine: Relay, room_id: str) -> Conversation:
        details = await asyncio.to_thread(self.api.join_room, room_id)
        store = await asyncio.to_thread(self.api.keys.room, room_id)
        if store is None:
            raise RuntimeError("the room keystore vanished")
        peer = details["peer"]
        conversation = Conversation(
            room_id, str(details["me"]["member_id"]), str(peer["member_id"]), peer["handle"], store
        )
        async with self._lock:
            if room_id not in machine.rooms:
                machine.open_room(conversation)
                await self._settle()
            return machine.rooms[room_id]

    async def send(self, room_id: str, message: str | bytes) -> str:
        """Encrypt and queue `message`; returns its envelope id. Starts X3DH on first use.

        The envelope stays in the outbox (and is re-sent after reconnects) until the server has
        accepted it. Raises `ApiError` if the peer has not joined the room yet, and
        `KeyChangePending` if the peer's key changed (a `KeyChanged` event tells the user).
        """
        conversation = await self.open_room(room_id)
        plaintext = message.encode("utf-8") if isinstance(message, str) else message
        async with self._lock:
            machine = self._machine
            try:
                if conversation.session is None and not conversation.key_changed:
                    _peer, bundle = await asyncio.to_thread(
                        self.api.claim_peer_bundle, conversation.room
                    )
                    machine.start_session(conversation.room, bundle)
                envelope = machine.send(conversation.room, plaintext)
            finally:
                await self._settle()  # a refused bundle changed the pin: keep it, tell the user
        return envelope.message_id

    async def accept_key_change(self, room_id: str) -> None:
        """The user compared the safety number again and accepts the peer's new key (see
        `Relay.accept_key_change`)."""
        conversation = await self.open_room(room_id)
        async with self._lock:
            self._machine.accept_key_change(conversation.room)
            await self._settle()

    async def mark_verified(self, room_id: str) -> None:
        """The user compared the safety number out of band (see `Relay.mark_verified`)."""
        conversation = await self.open_room(room_id)
        async with self._lock:
            self._machine.mark_verified(conversation.room)
            await self._settle()

    async def restart_session(self, room_id: str) -> None:
        """Start a fresh X3DH handshake in `room_id` with a newly claimed bundle (for a session
        that has gone wrong); the next :meth:`send` carries the new handshake."""
        conversation = await self.open_room(room_id)
        async with self._lock:
            _peer, bundle = await asyncio.to_thread(self.api.claim_peer_bundle, conversation.room)
            self._machine.start_session(conversation.room, bundle)
            await self._settle()

    async def sync(self) -> None:
        """Ask the server again for anything pending; a `SyncDone` event marks the end."""
        async with self._lock:
            self._machine.sync()
            await self._settle()

    async def next_event(self, timeout: float | None = None) -> ClientEvent:
        """The next event; raises `TimeoutError` after `timeout` seconds."""
        return await asyncio.wait_for(self._queue.get(), timeout)

    async def events(self) -> AsyncIterator[ClientEvent]:
        while True:
            yield await self._queue.get()

    @property
    def pending(self) -> list[str]:
        """Envelope ids not yet accepted by the server."""
        return self._machine.pending

    # -- the machinery -----------------------------------------------------------------------------

    def _write(self, changes: Changes) -> None:
        keys = self.api.keys

        def rooms() -> None:
            for conversation in changes.rooms:
                keys.save_room(conversation.room, conversation.keys)

        def ledger() -> None:
            if changes.ledger is not None:
                keys.save_ledger(changes.ledger)

        for step in (rooms, ledger) if changes.keys_first else (ledger, rooms):
            step()

    async def _settle(self) -> None:
        """Persist, then write frames, then hand out events. Call with the lock held."""
        machine = self._machine
        changes = machine.changes()
        if changes is not None:
            await asyncio.to_thread(self._write, changes)
            machine.persisted()
        frames = machine.data_to_send()
        ws = self._ws
        if ws is not None:
            try:
                for frame in frames:
                    await ws.send(frame)
            except ConnectionClosed:
                pass  # the run loop notices; unacked deliveries come again, the outbox re-sends
        for event in machine.events_received():
            if isinstance(event, RoomNeeded):
                self._spawn(self._open_needed(event.room))
            elif isinstance(event, Notification) and event.event == "prekeys_low":
                self._top_up_soon(event)
            self._queue.put_nowait(event)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._helpers.add(task)
        task.add_done_callback(self._helpers.discard)

    async def _open_needed(self, room: str) -> None:
        try:
            await self.open_room(room)
        except ApiError as exc:
            log.warning("cannot open room %s for a delivery: %s", room, exc.status)
            if exc.status in (403, 404):  # not ours, or gone: these can never be read here
                async with self._lock:
                    self._machine.room_unavailable(room)
                    await self._settle()
            # Otherwise the deliveries stay unacknowledged and come again after a reconnect.
        except Exception as exc:
            log.warning("cannot open room %s for a delivery: %s", room, type(exc).__name__)

    def _top_up_soon(self, event: Notification) -> None:
        room = str(event.data.get("room", ""))
        try:
            room = str(uuid.UUID(room))
            available = int(str(event.data.get("available", "0")))
        except ValueError:
            return  # not a notification this client understands
        if room in self._topping_up:
            return  # one at a time per room; a later claim notifies again if still low
        self._topping_up.add(room)
        self._spawn(self._top_up(room, available))

    async def _top_up(self, room: str, available: int) -> None:
        """Make, save, then upload `target - available` one-time prekeys for `room`."""
        try:
            for _attempt in range(2):
                async with self._lock:
                    machine = self._machine
                    if room not in machine.rooms:
                        return
                    fresh = machine.add_one_time_prekeys(
                        room, max(0, self._prekey_target - available)
                    )
                    await self._settle()  # on disk before the server can hand them out
                if not fresh:
                    return
                try:
                    await asyncio.to_thread(self.api.upload_one_time_prekeys, room, fresh)
                    return
                except ApiError as exc:
                    async with self._lock:
                        self._machine.forget_one_time_prekeys(room, [k.key_id for k in fresh])
                        await self._settle()
                    if exc.status != 409:  # 409: an id the server has seen; draw new ones
                        log.warning("prekey top-up for room %s refused: %s", room, exc.status)
                        return
        except Exception as exc:  # the next claim below the threshold notifies again
            log.warning("prekey top-up for room %s failed: %s", room, type(exc).__name__)
        finally:
            self._topping_up.discard(room)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._resync_interval)
            async with self._lock:
                self._machine.sync()
                await self._settle()

    async def _connection(self, ws: ClientConnection) -> None:
        machine = self._machine
        async with self._lock:
            machine.connect(self.api.token)
            await self._settle()
        ticker = asyncio.create_task(self._tick())
        try:
            async for text in ws:
                async with self._lock:
                    machine.receive(text)
                    await self._settle()
                if machine.state is State.OPEN:
                    self.connected.set()
        finally:
            ticker.cancel()

    async def _run(self) -> None:
        try:
            await self._reconnecting()
        except Exception as exc:
            # A bug or a disk that refuses the keys: stop rather than acknowledge unsaved state.
            log.error("relay client stopped: %s", type(exc).__name__)
            self._queue.put_nowait(Stopped(type(exc).__name__))

    async def _reconnecting(self) -> None:
        attempt = 0
        while not self._closing:
            code: int | None = None
            opened = False
            try:
                async with connect(
                    self.api.relay_url,
                    open_timeout=self._open_timeout,
                    compression=None,  # ciphertext does not compress
                    max_size=4 << 20,
                    proxy=self._proxy,
                ) as ws:
                    self._ws = ws
                    await self._connection(ws)
                    opened = self.connected.is_set()
                    code = ws.close_code
            except ConnectionClosed as exc:
                opened = self.connected.is_set()
                code = exc.rcvd.code if exc.rcvd is not None else None
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                log.info("relay connection failed: %s", type(exc).__name__)
            finally:
                self._ws = None
                self.connected.clear()
                async with self._lock:
                    self._machine.connection_lost()
            if self._closing:
                break
            attempt = 0 if opened else attempt + 1
            if code == CloseCode.UNAUTHENTICATED:
                try:
                    await asyncio.to_thread(self.api.login)
                except Exception as exc:  # keep retrying with backoff
                    log.warning("re-login failed: %s", type(exc).__name__)
            delay = backoff_delay(attempt, initial=self._backoff[0], maximum=self._backoff[1])
            self._queue.put_nowait(Disconnected(code, delay))
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass
