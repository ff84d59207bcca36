"""The relay protocol, client side, without I/O (docs/protocol.md §13).

:class:`Relay` is a state machine in the manner of python-websockets' ``protocol.py``: the
caller pushes what happened in (:meth:`~Relay.connect`, :meth:`~Relay.receive`,
:meth:`~Relay.send`, :meth:`~Relay.connection_lost`) and pulls out what to do: the state to
persist (:meth:`~Relay.changes`, then :meth:`~Relay.persisted`), the frames to write
(:meth:`~Relay.data_to_send`) and what the user should hear about
(:meth:`~Relay.events_received`). :mod:`client.connection` is the asyncio shell.

Guarantees the machine gives by construction:

* No `send` or `ack` frame leaves while state is unsaved. An envelope's session state is on disk
  before the envelope is on the wire (a lost ratchet step would reuse a message key), and a
  delivery is stored before it is acknowledged (the server deletes what was acknowledged).
* Every envelope the server has not `accepted` is written again after each `ready`, in order;
  the server de-duplicates on the envelope id.
* A delivery is handled once: its id (and its envelope id) is remembered, a repeat is only
  acknowledged again. One that cannot be decrypted is recorded, acknowledged and skipped.

::

    CLOSED --connect()--> AUTHENTICATING --ready--> OPEN --connection_lost()--> CLOSED
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from client.conversation import Conversation, add_one_time_prekeys
from client.errors import (
    FrameError,
    KeyChangePending,
    NoSessionError,
    RelayError,
    UnknownRoomError,
)
from client.events import (
    Connected,
    Event,
    KeyChanged,
    MessageAccepted,
    MessageReceived,
    Notification,
    ProtocolViolation,
    RoomNeeded,
    SendRejected,
    ServerError,
    SyncDone,
    Undecryptable,
)
from client.frames import (
    MAX_ACK_IDS,
    Accepted,
    Deliver,
    ErrorFrame,
    Notify,
    Pong,
    Ready,
    Synced,
    ack_frame,
    auth_frame,
    parse_server_frame,
    ping_frame,
    send_frame,
    sync_frame,
)
from client.ledger import Failure, FrankedMessage, Ledger, Outgoing, RoomInfo
from crypto import CryptoError, Envelope, IdentityKeyChanged, OneTimePreKey, PreKeyBundle
from crypto.relay import is_final_send_error

__all__ = ["Changes", "Relay", "State"]


class State(Enum):
    CLOSED = "closed"
    AUTHENTICATING = "authenticating"
    OPEN = "open"


@dataclass(frozen=True)
class Changes:
    """What to write before frames can flow again.

    `keys_first`: write the room keystores before the ledger (a new envelope is in the outbox:
    its ratchet step must be durable before it can ever be sent). Otherwise the ledger goes
    first, so a crash in between leaves a message recorded rather than a key consumed for a
    message nobody stored.
    """

    rooms: tuple[Conversation, ...]
    ledger: Ledger | None
    keys_first: bool


def _canonical(room: str) -> str:
    try:
        return str(uuid.UUID(room))
    except ValueError:
        return room


class Relay:
    """The client side of one account's relay connection, across reconnects."""

    def __init__(self, ledger: Ledger, rooms: Iterable[Conversation] = ()) -> None:
        self.ledger = ledger
        self.rooms: dict[str, Conversation] = {}
        self.state = State.CLOSED
        self._control: list[str] = []
        self._acks: list[str] = []
        self._sent_now: set[str] = set()  # outbox ids written on this connection
        self._held: dict[str, list[Deliver]] = {}  # deliveries waiting for their room
        self._events: list[Event] = []
        self._dirty_rooms: set[str] = set()
        self._ledger_dirty = False
        self._keys_first = False
        for conversation in rooms:
            self.open_room(conversation)

    def __repr__(self) -> str:
        return f"Relay(state={self.state.value}, rooms={len(self.rooms)}, {self.ledger!r})"

    # -- rooms ---------------------------------------------------------------------------------

    def open_room(self, conversation: Conversation) -> None:
        """Make a room usable; deliveries held for it are handled now, in order."""
        room = conversation.room
        self.rooms[room] = conversation
        info = RoomInfo(me=conversation.me, peer=conversation.peer, handle=conversation.handle)
        if self.ledger.rooms.get(room) != info:
            self.ledger.rooms[room] = info
            self._ledger_dirty = True
        for frame in self._held.pop(room, []):
            self._deliver(frame)

    def room_unavailable(self, room: str, reason: str = "UnknownRoom") -> None:
        """Deliveries held for `room` cannot be read on this device: record and ack them."""
        for frame in self._held.pop(_canonical(room), []):
            self._fail(frame, reason)

    def add_one_time_prekeys(self, room: str, count: int) -> list[OneTimePreKey]:
        """Make `count` one-time prekeys for `room` (saved with the next :meth:`changes`; upload
        their public halves only after that). Raises `UnknownRoomError` for a room not open."""
        made = add_one_time_prekeys(self._room(room).keys, count)
        self._dirty_rooms.add(_canonical(room))
        return made

    def forget_one_time_prekeys(self, room: str, key_ids: Iterable[int]) -> None:
        """Drop keys the server refused (an id it had seen): they can never be claimed."""
        keys = self._room(room).keys
        for key_id in key_ids:
            keys.one_time_prekeys.pop(key_id, None)
        self._dirty_rooms.add(_canonical(room))

    def start_session(self, room: str, bundle: PreKeyBundle) -> None:
        """Start X3DH in `room` with the peer's bundle (claimed over HTTP by the caller).

        Raises :class:`KeyChangePending` (after a :class:`KeyChanged` event; persist the
        changes) for a bundle whose identity key is not the pinned one, or while a change
        waits for the user."""
        conversation = self._room(room)
        if conversation.key_changed:
            raise KeyChangePending(conversation.room)
        self._dirty_rooms.add(conversation.room)  # the pin may change either way
        try:
            conversation.start(bundle)
        except IdentityKeyChanged:
            self._events.append(KeyChanged(conversation.room, conversation.handle))
            raise KeyChangePending(conversation.room) from None

    def accept_key_change(self, room: str) -> None:
        """The user compared the safety number again and accepts the peer's new key.
        Raises `ValueError` when no change is waiting."""
        conversation = self._room(room)
        conversation.accept_key_change()
        self._dirty_rooms.add(conversation.room)

    def mark_verified(self, room: str) -> None:
        """The user compared the safety number out of band. Raises `ValueError` without a
        session or while a key change waits."""
        conversation = self._room(room)
        conversation.mark_verified()
        self._dirty_rooms.add(conversation.room)

    def _room(self, room: str) -> Conversation:
        found = self.rooms.get(_canonical(room))
        if found is None:
            raise UnknownRoomError(room)
        return found

    # -- input -----------------------------------------------------------------------------------

    def connect(self, token: str) -> None:
        """A new connection is open: authenticate first."""
        if self.state is not State.CLOSED:
            raise RelayError("already connected")
        self.state = State.AUTHENTICATING
        self._control = [auth_frame(token)]
        self._sent_now.clear()

    def connection_lost(self) -> None:
        """The connection ended. Unsent acks wait for the next one; the outbox is re-sent.

        Deliveries still waiting for their room are dropped: they were not acknowledged and
        the cursor never passed them, so the next sync brings them again (and asks again for
        the room)."""
        self.state = State.CLOSED
        self._control.clear()
        self._sent_now.clear()
        self._held.clear()

    def send(self, room: str, plaintext: bytes) -> Envelope:
        """Encrypt `plaintext` for `room` and put it in the outbox.

        Raises :class:`UnknownRoomError`, :class:`KeyChangePending` (the user must accept the
        peer's new key first), :class:`NoSessionError` (start a session first) or
        `crypto.LimitError` for a message over 64 KiB.
        """
        conversation = self._room(room)
        if conversation.key_changed:
            raise KeyChangePending(conversation.room)
        if conversation.session is None:
            raise NoSessionError(conversation.room)
        envelope = conversation.encrypt(plaintext)
        encoded = envelope.encode().decode("ascii")
        self.ledger.outbox[envelope.message_id] = Outgoing(conversation.room, encoded)
        self._dirty_rooms.add(conversation.room)
        self._ledger_dirty = self._keys_first = True
        return envelope

    def sync(self) -> None:
        """Ask again for whatever the mailbox holds after the cursor (a safety net)."""
        if self.state is State.OPEN:
            self._control.append(sync_frame(self.ledger.cursor))

    def ping(self) -> None:
        if self.state is State.OPEN:
            self._control.append(ping_frame())

    def receive(self, text: str | bytes) -> None:
        """Handle one frame from the server."""
        try:
            frame = parse_server_frame(text)
        except FrameError as exc:
            self._events.append(ProtocolViolation(str(exc)))
            return
        if self.state is State.AUTHENTICATING and not isinstance(frame, Ready | ErrorFrame):
            self._events.append(ProtocolViolation("expected ready"))
            return
        if isinstance(frame, Ready):
            if self.state is not State.AUTHENTICATING:
                self._events.append(ProtocolViolation("unexpected ready"))
                return
            self.state = State.OPEN
            self._control.append(sync_frame(self.ledger.cursor))
            self._events.append(Connected(frame.cursor))
        elif isinstance(frame, Deliver):
            self._deliver(frame)
        elif isinstance(frame, Accepted):
            self._accepted(frame.message_id)
        elif isinstance(frame, Synced):
            self._synced(frame.cursor)
        elif isinstance(frame, ErrorFrame):
            self._error(frame)
        elif isinstance(frame, Notify):
            self._events.append(Notification(frame.event, frame.data))
        else:
            assert isinstance(frame, Pong)

    def _accepted(self, message_id: str) -> None:
        sent = self.ledger.outbox.pop(message_id, None)
        if sent is None:
            return  # the answer to a re-send we already had an answer for
        self._ledger_dirty = True
        self._events.append(MessageAccepted(sent.room, message_id))

    def _synced(self, cursor: int) -> None:
        held = [frame.seq for frames in self._held.values() for frame in frames]
        if held:  # held deliveries are not stored yet: the next sync must include them
            cursor = min(cursor, min(held) - 1)
        if cursor > self.ledger.cursor:
            self.ledger.cursor = cursor
            self._ledger_dirty = True
        self._events.append(SyncDone(self.ledger.cursor))

    def _error(self, frame: ErrorFrame) -> None:
        sent = self.ledger.outbox.get(frame.ref) if frame.ref else None
        if sent is not None and is_final_send_error(frame.code):
            del self.ledger.outbox[frame.ref or ""]
            self._ledger_dirty = True
            self._events.append(SendRejected(sent.room, frame.ref or "", frame.code, frame.message))
        else:
            self._events.append(ServerError(frame.code, frame.message, frame.ref))

    def _deliver(self, frame: Deliver) -> None:
        ledger = self.ledger
        key = f"d:{frame.id}"
        if ledger.has_seen(key):
            self._acks.append(frame.id)  # stored already; the earlier ack may have been lost
            return
        room = _canonical(frame.room)
        conversation = self.rooms.get(room)
        if conversation is None:
            held = self._held.setdefault(room, [])
            if not held:
                self._events.append(RoomNeeded(room))
            if all(h.id != frame.id for h in held):
                held.append(frame)
            return
        try:
            envelope = Envelope.decode(frame.envelope)
        except CryptoError:
            self._fail(frame, "DecodeError")
            return
        if envelope.room != room or envelope.sender != _canonical(frame.sender):
            self._fail(frame, "MismatchedEnvelope")
            return
        message_key = f"m:{room}:{envelope.sender}:{envelope.message_id}"
        if ledger.has_seen(message_key):
            ledger.remember(key)
            self._ledger_dirty = True
            self._acks.append(frame.id)
            return
        self._dirty_rooms.add(room)  # even a failure may consume a key (FrankingError)
        was_changed = conversation.key_changed
        try:
            message = conversation.decrypt(envelope)
        except IdentityKeyChanged:
            self._fail(frame, "IdentityKeyChanged")
            if not was_changed:  # one warning per change, not one per refused message
                self._events.append(KeyChanged(room, conversation.handle))
            return
        except (CryptoError, ValueError) as exc:
            self._fail(frame, type(exc).__name__)
            return
        ledger.keep(
            FrankedMessage(
                delivery_id=frame.id,
                message_id=message.message_id,
                room=room,
                sender=message.sender,
                ts=frame.ts,
                plaintext=message.plaintext,
                franking_key=message.franking_key,
                commitment=message.commitment,
                tag=frame.tag,
            )
        )
        ledger.remember(key)
        ledger.remember(message_key)
        self._ledger_dirty = True
        self._acks.append(frame.id)
        self._events.append(
            MessageReceived(
                room=room,
                sender=message.sender,
                handle=conversation.handle,
                message_id=message.message_id,
                delivery_id=frame.id,
                ts=frame.ts,
                plaintext=message.plaintext,
            )
        )

    def _fail(self, frame: Deliver, reason: str) -> None:
        room = _canonical(frame.room)
        self.ledger.record_failure(Failure(delivery_id=frame.id, room=room, reason=reason))
        self.ledger.remember(f"d:{frame.id}")
        self._ledger_dirty = True
        self._acks.append(frame.id)
        self._events.append(Undecryptable(room, frame.id, reason))

    # -- output ----------------------------------------------------------------------------------

    def changes(self) -> Changes | None:
        """What must be persisted before :meth:`data_to_send` releases `send` and `ack` frames."""
        if not self._dirty_rooms and not self._ledger_dirty:
            return None
        return Changes(
            rooms=tuple(self.rooms[room] for room in sorted(self._dirty_rooms)),
            ledger=self.ledger if self._ledger_dirty else None,
            keys_first=self._keys_first,
        )

    def persisted(self) -> None:
        """The caller wrote everything :meth:`changes` returned."""
        self._dirty_rooms.clear()
        self._ledger_dirty = self._keys_first = False

    def data_to_send(self) -> list[str]:
        """Frames to write now, in order."""
        frames, self._control = self._control, []
        if self.state is not State.OPEN or self.changes() is not None:
            return frames
        for message_id, outgoing in self.ledger.outbox.items():
            if message_id not in self._sent_now:
                self._sent_now.add(message_id)
                frames.append(send_frame(outgoing.envelope))
        while self._acks:
            chunk, self._acks = self._acks[:MAX_ACK_IDS], self._acks[MAX_ACK_IDS:]
            frames.append(ack_frame(list(dict.fromkeys(chunk))))
        return frames

    def events_received(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    @property
    def pending(self) -> list[str]:
        """Envelope ids sent but not yet accepted."""
        return list(self.ledger.outbox)
