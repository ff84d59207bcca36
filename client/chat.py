"""The terminal chat: lines in, conversation out (`python -m client … chat`).

A line is a message to the current room, or a command::

    /ask TOPIC…     ask for support (clinicians); the room opens when a supporter accepts
    /offers         pending offers (supporters)      /accept [N]  /decline [N]
    /rooms          your rooms                       /room N      switch to room N
    /safety         the safety number of this room: compare it with your peer out of band
    /verify         after comparing it: mark this room's key as verified
    /accept-key     after the peer's key changed and you compared the new number: continue
    /leave          leave this room (it closes)      /quit        leave the chat (the room stays)

Incoming messages print as ``Handle: text``. This module shows plaintext to its own user and
nowhere else; it never logs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from client.api import Peerhaven
from client.connection import Disconnected, RelayClient, Stopped
from client.conversation import Conversation
from client.errors import ApiError, ClientError, KeyChangePending
from client.events import (
    Connected,
    KeyChanged,
    MessageReceived,
    Notification,
    SendRejected,
    Undecryptable,
)
from crypto import CryptoError, format_safety_number

__all__ = ["Chat"]

# Payloads starting with a zero byte are control messages (receipts), never shown as text.
CONTROL_PREFIX = b"\x00"

HELP = """\
/ask TOPIC…   ask for support (clinicians); the room opens when a supporter accepts
/offers       pending offers (supporters); /accept [N] or /decline [N] answers one
/rooms        your rooms; /room N switches to room N
/safety       the safety number of this room: compare it with your peer out of band
/verify       mark the peer's key as verified, once the numbers matched
/accept-key   continue with the peer's new key, once you compared the new number
/leave        leave this room (it closes)
/quit         end the chat (the room stays open)
Any other line is a message to the current room."""

Json = dict[str, Any]

KEY_CHANGED = """\
The security key of {handle} has changed.
This happens when someone sets up Peerhaven again, but it can also mean that someone is trying
to come between you. Nothing more is sent in this room for now.
Verify the safety number again with {handle} by another channel (a call, in person):
type /safety to see it. If it matches, type /accept-key to continue."""


class Chat:
    """One person's chat session; `write` shows a line to them."""

    def __init__(
        self,
        api: Peerhaven,
        relay: RelayClient,
        write: Callable[[str], None],
        *,
        poll_seconds: float = 2.0,
    ) -> None:
        self.api = api
        self.relay = relay
        self.write = write
        self.poll_seconds = poll_seconds
        self.room: str | None = None
        self.handles: dict[str, str] = {}
        self.offers: list[Json] = []
        self.waiting_request: str | None = None
        self.unsent: list[tuple[str, str]] = []  # (room, text): the peer had not joined yet
        self._offline = False

    async def _http(self, call: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(call, *args)

    # -- the loop ----------------------------------------------------------------------------

    async def run(self, lines: AsyncIterator[str], *, room: str | None = None) -> int:
        watcher = asyncio.create_task(self._watch())
        ticker = asyncio.create_task(self._tick())
        try:
            await self._greet(room)
            async for line in lines:
                if not await self.handle(line.rstrip("\n")):
                    break
            await self._drain()
        finally:
            watcher.cancel()
            ticker.cancel()
            for task in (watcher, ticker):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        return 0

    async def _greet(self, room: str | None) -> None:
        me: Json = await self._http(self.api.me)
        self.write(f"Logged in as {me['role']}. Type /help for commands.")
        if room is not None:
            await self.enter(room)
            return
        rooms = [r for r in await self._http(self.api.rooms) if r["status"] == "open"]
        if len(rooms) == 1:
            await self.enter(str(rooms[0]["id"]))
        elif rooms:
            await self.list_rooms()
        elif me["role"] == "supporter":
            await self.list_offers(quiet_if_none=False)
        else:
            self.write("Type /ask adverse-event (or other topics) to ask for support.")

    async def _drain(self, seconds: float = 5.0) -> None:
        """Give un-accepted messages a moment to reach the server before leaving."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while self.relay.pending and loop.time() < deadline:
            await asyncio.sleep(0.05)
        if self.relay.pending:
            self.write(f"({len(self.relay.pending)} message(s) not sent yet; they go next time)")

    async def handle(self, line: str) -> bool:
        """One input line. Returns False to quit."""
        if not line.strip():
            return True
        if not line.startswith("/"):
            await self.say(line)
            return True
        command, *args = line[1:].split()
        try:
            return await self._command(command.lower(), args)
        except ApiError as exc:
            self.write(f"(the server said: {exc.detail or exc.title})")
        except (ClientError, CryptoError, ValueError) as exc:
            self.write(f"(error: {type(exc).__name__}: {exc})")
        except httpx.HTTPError as exc:
            self.write(f"(cannot reach the server: {type(exc).__name__})")
        return True

    async def _command(self, command: str, args: list[str]) -> bool:
        if command in ("quit", "exit", "q"):
            return False
        if command == "help":
            self.write(HELP)
        elif command == "ask":
            await self.ask(args)
        elif command == "offers":
            await self.list_offers(quiet_if_none=False)
        elif command in ("accept", "decline"):
            await self.answer_offer(command, args)
        elif command == "rooms":
            await self.list_rooms()
        elif command == "room":
            await self.switch_room(args)
        elif command == "safety":
            await self.show_safety()
        elif command == "verify":
            await self.verify()
        elif command in ("accept-key", "acceptkey"):
            await self.accept_key()
        elif command == "leave":
            await self.leave()
        else:
            self.write(f"(unknown command /{command}; /help lists them)")
        return True

    # -- commands ----------------------------------------------------------------------------

    async def ask(self, topics: list[str]) -> None:
        if not topics:
            self.write("(usage: /ask TOPIC [TOPIC…], e.g. /ask adverse-event)")
            return
        request: Json = await self._http(self.api.request_support, topics)
        self.waiting_request = str(request["id"])
        await self._request_changed(request)

    async def _request_changed(self, request: Json | None = None) -> None:
        waiting = self.waiting_request
        if waiting is None:
            return
        if request is None:
            request = await self._http(self.api.request_status, waiting)
        if self.waiting_request != waiting:
            return  # handled meanwhile (a notification and the poll can cross)
        status = request["status"]
        if status == "matched" and request.get("room_id"):
            self.waiting_request = None
            self.write("A supporter accepted.")
            await self.enter(str(request["room_id"]))
        elif status in ("unavailable", "cancelled"):
            self.waiting_request = None
            self.write(f"(request {status})")
            for line in request.get("crisis_resources", []):
                self.write(f"  {line}")
        else:
            self.write(f"(request {status}: waiting for a supporter…)")

    async def list_offers(self, *, quiet_if_none: bool = True) -> None:
        self.offers = await self._http(self.api.offers)
        if not self.offers:
            if not quiet_if_none:
                self.write("(no pending offers; waiting for one…)")
            return
        for n, offer in enumerate(self.offers, 1):
            topics = ", ".join(offer["topics"])
            self.write(
                f"  offer {n}: {topics} ({offer['urgency']}), "
                f"{offer['requester_specialty']}, {offer['requester_experience_band']}"
            )
        self.write("Type /accept N or /decline N.")

    def _pick(self, items: list[Json], args: list[str], what: str) -> Json | None:
        index = int(args[0]) if args and args[0].isdigit() else 1
        if not 1 <= index <= len(items):
            self.write(f"(no {what} {index}; list them first)")
            return None
        return items[index - 1]

    async def answer_offer(self, command: str, args: list[str]) -> None:
        if not self.offers:
            self.offers = await self._http(self.api.offers)
        offer = self._pick(self.offers, args, "offer")
        if offer is None:
            return
        self.offers.remove(offer)
        if command == "decline":
            await self._http(self.api.decline_offer, str(offer["id"]))
            self.write("(declined)")
            return
        room: Json = await self._http(self.api.accept_offer, str(offer["id"]))
        await self.enter(str(room["id"]))

    async def list_rooms(self) -> None:
        rooms: list[Json] = await self._http(self.api.rooms)
        if not rooms:
            self.write("(no rooms)")
        for n, room in enumerate(rooms, 1):
            marker = "*" if str(room["id"]) == self.room else " "
            self.write(f" {marker}room {n}: {room['peer']['handle']} ({room['status']})")

    async def switch_room(self, args: list[str]) -> None:
        rooms: list[Json] = await self._http(self.api.rooms)
        room = self._pick(rooms, args, "room")
        if room is not None:
            await self.enter(str(room["id"]))

    async def enter(self, room_id: str) -> None:
        conversation = await self.relay.open_room(room_id)
        details: Json = await self._http(self.api.room, conversation.room)
        peer = details["peer"]
        self.room = conversation.room
        self.handles[conversation.room] = peer["handle"]
        self.write(
            f"You are talking with {peer['handle']} ({peer['specialty']}, "
            f"{peer['experience_band']}) about {', '.join(details['topics'])}."
        )
        self.write(f"You appear to them as {details['me']['handle']}.")
        await self.show_safety(details)

    def _conversation(self) -> Conversation | None:
        machine = self.relay.relay
        return None if machine is None or self.room is None else machine.rooms.get(self.room)

    async def show_safety(self, details: Json | None = None) -> None:
        """The number of the keys the session uses (never the server's view of the room)."""
        if self.room is None:
            self.write("(not in a room)")
            return
        conversation = self._conversation()
        handle = self.handles.get(self.room, "your peer")
        if conversation is not None and conversation.key_changed:
            self.write(KEY_CHANGED.format(handle=handle))
        number = None if conversation is None else conversation.safety_number()
        if number is None:
            details = details or await self._http(self.api.room, self.room)
            if details["peer"]["identity_key"] is None:
                self.write("(safety number: your peer has not joined yet; /safety later)")
            else:
                self.write("(safety number: it appears with the first message; /safety later)")
            return
        self.write(f"Safety number: {format_safety_number(number)}")
        if conversation is not None and conversation.verified:
            self.write("(verified: you compared this number with your peer)")
        else:
            self.write(
                "Compare it with your peer by another channel; if it matches, type /verify. "
                "If it differs, stop."
            )

    async def verify(self) -> None:
        if self.room is None:
            self.write("(not in a room)")
            return
        try:
            await self.relay.mark_verified(self.room)
        except ValueError:
            self.write("(nothing to verify yet: see /safety)")
            return
        self.write("(marked as verified; if the key ever changes, you will be asked again)")

    async def accept_key(self) -> None:
        if self.room is None:
            self.write("(not in a room)")
            return
        try:
            await self.relay.accept_key_change(self.room)
        except ValueError:
            self.write("(the key has not changed)")
            return
        self.write(
            "(the new key is accepted; it is not verified: compare the safety number again "
            "once the conversation continues, then type /verify)"
        )

    async def leave(self) -> None:
        if self.room is None:
            self.write("(not in a room)")
            return
        await self._http(self.api.leave_room, self.room)
        self.write(f"(you left the room with {self.handles.get(self.room, 'your peer')})")
        self.room = None

    async def say(self, text: str) -> None:
        if self.room is None:
            self.write("(not in a room: /ask, /accept or /room first)")
            return
        await self._send(self.room, text)

    async def _send(self, room: str, text: str) -> bool:
        try:
            await self.relay.send(room, text)
        except KeyChangePending:
            handle = self.handles.get(room, "your peer")
            self.write(f"(not sent: the security key of {handle} changed; /safety, then "
                       "/accept-key if the numbers match)")  # fmt: skip
            return False
        except ApiError as exc:
            if exc.status != 409:
                raise
            self.unsent.append((room, text))
            self.write("(your peer has not joined yet; the message goes as soon as they do)")
            return False
        return True

    # -- background ----------------------------------------------------------------------------

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            with contextlib.suppress(ClientError, httpx.HTTPError, OSError):
                await self._retry_unsent()
                if self.waiting_request is not None:
                    request = await self._http(self.api.request_status, self.waiting_request)
                    if request["status"] != "offered" and request["status"] != "searching":
                        await self._request_changed(request)

    async def _retry_unsent(self) -> None:
        while self.unsent:
            room, text = self.unsent[0]
            try:
                await self.relay.send(room, text)
            except ApiError:
                return
            self.unsent.pop(0)

    async def _watch(self) -> None:
        async for event in self.relay.events():
            try:
                await self._on_event(event)
            except Exception as exc:  # one bad event must not stop the conversation
                self.write(f"(error: {type(exc).__name__})")

    async def _on_event(self, event: object) -> None:
        if isinstance(event, MessageReceived):
            if event.plaintext.startswith(CONTROL_PREFIX):
                return  # a delivery receipt from a browser peer (docs/protocol.md 7.1), not text
            text = event.plaintext.decode("utf-8", "replace")
            where = "" if event.room == self.room else f"[room {event.room[:8]}] "
            self.write(f"{where}{event.handle}: {text}")
        elif isinstance(event, KeyChanged):
            self.write(KEY_CHANGED.format(handle=event.handle))
        elif isinstance(event, Undecryptable):
            if event.reason != "IdentityKeyChanged":  # told by KeyChanged instead
                self.write("(a message could not be decrypted and was skipped)")
        elif isinstance(event, SendRejected):
            self.write(f"(a message was not delivered: {event.code})")
        elif isinstance(event, Disconnected) and not self._offline:
            self._offline = True
            self.write("(connection lost; reconnecting…)")
        elif isinstance(event, Connected) and self._offline:
            self._offline = False
            self.write("(reconnected)")
        elif isinstance(event, Stopped):
            self.write(f"(the relay stopped: {event.reason}; /quit and start again)")
        elif isinstance(event, Notification):
            await self._notified(event)

    async def _notified(self, event: Notification) -> None:
        if event.event == "offer":
            self.write("(a new offer arrived)")
            await self.list_offers()
        elif event.event == "request":
            await self._request_changed()
        elif event.event == "room":
            room = str(event.data.get("room", ""))
            details: Json = await self._http(self.api.room, room)
            if details["peer"]["left"] or details["status"] == "closed":
                self.write(f"({details['peer']['handle']} left; the room is closed)")
            await self._retry_unsent()
