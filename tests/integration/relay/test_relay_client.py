"""The relay client SDK against the real `/ws`: chat, reconnects, re-sends (docs/protocol.md §13).

A clinician (institution a) and a supporter (b) go from a request to a room over HTTP with the
`Peerhaven` SDK; then each runs a `RelayClient` on its own key folder and they talk.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from client import KeyFolder, Peerhaven
from client.chat import Chat as ChatUI
from client.connection import ClientEvent, RelayClient
from client.events import MessageAccepted, MessageReceived, SyncDone, Undecryptable
from crypto import KeystoreError, verify_report
from crypto.primitives import ARGON2ID_MEMLIMIT_MIN, ARGON2ID_OPSLIMIT_MIN
from server.accounts.roles import Role
from server.db.models import MailboxEntry, OneTimePreKey
from server.platform.secrets import load_server_keys
from tests.integration.peers import count
from tests.world import World

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

E = TypeVar("E")


@dataclass
class Chat:
    world: World
    room: str
    clinician: Peerhaven
    supporter: Peerhaven

    def relay(self, api: Peerhaven) -> RelayClient:
        return RelayClient(api, backoff_initial=0.05, backoff_max=0.5, proxy=None)


def _person(world: World, folder: Path, role: Role, institution: str) -> Peerhaven:
    keys = KeyFolder(folder, "a long enough passphrase", opslimit=ARGON2ID_OPSLIMIT_MIN,
                     memlimit=ARGON2ID_MEMLIMIT_MIN)  # fmt: skip
    api = Peerhaven(world.server.base_url, keys=keys)
    api.register(world.invite(role, institution))
    api.login()
    return api


def _people(world: World, tmp_path: Path) -> tuple[Peerhaven, Peerhaven]:
    """A clinician (institution a) and a supporter (b) with profiles: (clinician, supporter)."""
    clinician = _person(world, tmp_path / "ann", Role.CLINICIAN, "a")
    supporter = _person(world, tmp_path / "sam", Role.SUPPORTER, "b")
    supporter.set_profile(specialty="207P00000X", years_experience=15, career_stage="senior",
                          languages=["en"], time_zone="UTC")  # fmt: skip
    supporter.set_supporter_profile(topic_expertise=["adverse-event"])
    clinician.set_profile(specialty="207P00000X", years_experience=4, career_stage="resident",
                          languages=["en"], time_zone="UTC")  # fmt: skip
    return clinician, supporter


@pytest.fixture
def chat(world: World, tmp_path: Path) -> Iterator[Chat]:
    clinician, supporter = _people(world, tmp_path)
    assert clinician.request_support(["adverse-event"])["status"] == "offered"
    (offer,) = supporter.offers()
    room = supporter.accept_offer(offer["id"])["id"]
    supporter.join_room(room)
    clinician.join_room(room)
    yield Chat(world=world, room=room, clinician=clinician, supporter=supporter)
    clinician.close()
    supporter.close()


async def expect(client: RelayClient, kind: type[E], n: int = 1, timeout: float = 10) -> list[E]:
    """The next `n` events of `kind` (others are skipped; undecryptable ones fail the test)."""
    found: list[E] = []
    while len(found) < n:
        event: ClientEvent = await client.next_event(timeout)
        assert not isinstance(event, Undecryptable), event
        if isinstance(event, kind):
            found.append(event)
    return found


async def texts(client: RelayClient, n: int) -> list[str]:
    return [e.plaintext.decode() for e in await expect(client, MessageReceived, n)]


async def quiet(client: RelayClient) -> list[Any]:
    """Events until a fresh sync round-trip completes: nothing delivered may be pending."""
    await client.sync()
    seen: list[Any] = []
    while not isinstance(event := await client.next_event(10), SyncDone):
        seen.append(event)
    return seen


async def test_two_clients_chat_through_the_real_server(chat: Chat) -> None:
    async with chat.relay(chat.clinician) as ann, chat.relay(chat.supporter) as sam:
        await asyncio.wait_for(ann.connected.wait(), 10)
        await asyncio.wait_for(sam.connected.wait(), 10)
        first = await ann.send(chat.room, "thank you for taking this")  # X3DH on first use
        (accepted,) = await expect(ann, MessageAccepted)
        assert accepted.message_id == first and ann.pending == []
        (got,) = await expect(sam, MessageReceived)
        assert got.plaintext == b"thank you for taking this"
        assert got.handle == chat.supporter.room(chat.room)["peer"]["handle"]
        await sam.send(chat.room, "of course, I am here")
        await ann.send(chat.room, "it was a hard night")
        assert await texts(ann, 1) == ["of course, I am here"]
        assert await texts(sam, 1) == ["it was a hard night"]

        # Both see the same safety number, and it is the one the HTTP view gives.
        assert ann.relay is not None and sam.relay is not None
        ann_room, sam_room = ann.relay.rooms[chat.room], sam.relay.rooms[chat.room]
        assert ann_room.safety_number() == sam_room.safety_number()
        assert ann_room.safety_number() == chat.clinician.safety_number(chat.room)

    # Acknowledged deliveries left the mailbox; the keys and ledger are on disk, sealed.
    assert count(chat.world, MailboxEntry) == 0
    folder = chat.supporter.keys.path
    assert b"hard night" not in (folder / "relay.phrl").read_bytes()
    ledger = chat.supporter.keys.ledger()
    with pytest.raises(KeystoreError):
        KeyFolder(folder, "not the passphrase").ledger()
    assert [m.plaintext for m in ledger.received] == [
        b"thank you for taking this",
        b"it was a hard night",
    ]

    # What was kept is enough for a report the server can verify.
    secret = load_server_keys(chat.world.server.settings).franking_secret
    me = chat.supporter.room(chat.room)["me"]["member_id"]
    for message in ledger.received:
        verify_report(
            secret, plaintext=message.plaintext, franking_key=message.franking_key,
            tag=_unb64(message.tag), room=message.room, sender=message.sender, recipient=me,
            timestamp=int(datetime.fromisoformat(message.ts).timestamp() * 1000),
        )  # fmt: skip


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def test_a_client_that_was_away_gets_what_it_missed_once_in_order(chat: Chat) -> None:
    async with chat.relay(chat.clinician) as ann:
        async with chat.relay(chat.supporter) as sam:
            await ann.send(chat.room, "before")
            assert await texts(sam, 1) == ["before"]
            await sam.send(chat.room, "reply")
            assert await texts(ann, 1) == ["reply"]
        # The supporter is gone (process ended); the clinician keeps writing.
        for i in range(5):
            await ann.send(chat.room, f"missed {i}")
        await expect(ann, MessageAccepted, 5)  # "before" was accepted (and skipped) above
        assert count(chat.world, MailboxEntry) == 5

        # A new process on the same key folder: the ledger and the session come back.
        async with chat.relay(chat.supporter) as sam:
            assert await texts(sam, 5) == [f"missed {i}" for i in range(5)]
            assert not [e for e in await quiet(sam) if isinstance(e, MessageReceived)]
            # A dropped socket mid-conversation: it reconnects, syncs, and nothing repeats.
            await sam.drop_connection()
            await ann.send(chat.room, "while you reconnect")
            assert await texts(sam, 1) == ["while you reconnect"]
            await sam.send(chat.room, "back")
            assert await texts(ann, 1) == ["back"]
            assert not [e for e in await quiet(sam) if isinstance(e, MessageReceived)]
        # The server handles a socket's frames in order and answers `sync` only after the `ack`
        # before it is committed: without this round trip the count below raced ann's last ack.
        assert not [e for e in await quiet(ann) if isinstance(e, MessageReceived)]
    assert count(chat.world, MailboxEntry) == 0


async def test_both_sides_writing_first_at_once_converge(chat: Chat) -> None:
    async with chat.relay(chat.clinician) as ann, chat.relay(chat.supporter) as sam:
        await asyncio.wait_for(ann.connected.wait(), 10)
        await asyncio.wait_for(sam.connected.wait(), 10)
        # Both start X3DH (each claims the other's bundle) before either hears from the other.
        await asyncio.gather(ann.send(chat.room, "hello?"), sam.send(chat.room, "hi, I'm here"))
        assert await texts(sam, 1) == ["hello?"]
        assert await texts(ann, 1) == ["hi, I'm here"]
        for i in range(3):
            await asyncio.gather(ann.send(chat.room, f"a{i}"), sam.send(chat.room, f"s{i}"))
            assert await texts(sam, 1) == [f"a{i}"]
            assert await texts(ann, 1) == [f"s{i}"]
        assert ann.relay is not None and sam.relay is not None
        assert ann.relay.ledger.failures == [] and sam.relay.ledger.failures == []


async def test_a_resent_envelope_is_stored_once_and_shown_once(chat: Chat) -> None:
    async with chat.relay(chat.clinician) as ann, chat.relay(chat.supporter) as sam:
        await asyncio.wait_for(ann.connected.wait(), 10)
        assert ann.relay is not None
        message_id = await ann.send(chat.room, "only once")
        written = ann.relay.ledger.outbox[message_id]  # no await since send(): not accepted yet
        (accepted,) = await expect(ann, MessageAccepted)
        assert accepted.message_id == message_id
        assert await texts(sam, 1) == ["only once"]

        # As if the process had died before it stored `accepted`: the envelope is back in the
        # outbox, and the reconnect re-sends it byte for byte.
        ann.relay.ledger.outbox[message_id] = written
        await ann.drop_connection()
        (again,) = await expect(ann, MessageAccepted)
        assert again.message_id == message_id and ann.pending == []
        await ann.send(chat.room, "and then this")
        assert await texts(sam, 1) == ["and then this"]  # the re-send was not delivered again
        assert not [e for e in await quiet(sam) if isinstance(e, MessageReceived)]
        assert count(chat.world, MailboxEntry) == 0


@pytest.fixture
def people(world: World, tmp_path: Path) -> Iterator[tuple[Peerhaven, Peerhaven]]:
    clinician, supporter = _people(world, tmp_path)
    yield clinician, supporter
    clinician.close()
    supporter.close()


async def test_two_people_chat_in_the_terminal_client(
    people: tuple[Peerhaven, Peerhaven],
) -> None:
    clinician, supporter = people
    screens: dict[str, list[str]] = {"ann": [], "sam": []}
    inputs: dict[str, asyncio.Queue[str | None]] = {"ann": asyncio.Queue(), "sam": asyncio.Queue()}

    async def typed(who: str) -> AsyncIterator[str]:
        while (line := await inputs[who].get()) is not None:
            yield line

    async def shows(who: str, text: str, timeout: float = 10) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            found = [line for line in screens[who] if text in line]
            if found:
                return found[-1]
            await asyncio.sleep(0.02)
        raise AssertionError(f"{who} never saw {text!r}: {screens[who]}")

    relay = RelayClient(clinician, backoff_initial=0.05, proxy=None)
    other = RelayClient(supporter, backoff_initial=0.05, proxy=None)
    async with relay as ann_relay, other as sam_relay:
        ann = ChatUI(clinician, ann_relay, screens["ann"].append, poll_seconds=0.1)
        sam = ChatUI(supporter, sam_relay, screens["sam"].append, poll_seconds=0.1)
        running = [asyncio.create_task(ann.run(typed("ann"))),
                   asyncio.create_task(sam.run(typed("sam")))]  # fmt: skip
        await shows("sam", "no pending offers")
        inputs["ann"].put_nowait("/ask adverse-event")
        await shows("sam", "offer 1: adverse-event")
        inputs["sam"].put_nowait("/accept")
        # No session yet, so no number: it comes from the session's keys, not the server's view.
        await shows("ann", "safety number: it appears with the first message")
        inputs["ann"].put_nowait("it was a hard night")
        handle = clinician.rooms()[0]["me"]["handle"]
        assert await shows("sam", "it was a hard night") == f"{handle}: it was a hard night"
        inputs["sam"].put_nowait("I am here. Take your time.")
        await shows("ann", "I am here. Take your time.")
        for who in ("ann", "sam"):
            inputs[who].put_nowait("/safety")
        numbers = {await shows(who, "Safety number:") for who in ("ann", "sam")}
        assert len(numbers) == 1
        inputs["ann"].put_nowait("/verify")
        await shows("ann", "marked as verified")
        inputs["ann"].put_nowait("/safety")
        await shows("ann", "(verified: you compared this number")
        inputs["sam"].put_nowait("/leave")
        await shows("ann", "left; the room is closed")
        for who in ("ann", "sam"):
            inputs[who].put_nowait("/quit")
        assert await asyncio.gather(*running) == [0, 0]


async def test_twenty_five_handshakes_in_one_room_keep_working(chat: Chat) -> None:
    """Issue 12 item 14: the supporter joined with 10 one-time prekeys; the clinician starts a
    fresh X3DH 25 times. The server never refuses a bundle (none left: three-DH X3DH), and the
    supporter's client tops up on `prekeys_low`, so most handshakes still get a one-time key."""
    async with chat.relay(chat.clinician) as ann, chat.relay(chat.supporter) as sam:
        await asyncio.wait_for(ann.connected.wait(), 10)
        await asyncio.wait_for(sam.connected.wait(), 10)
        await sam.open_room(chat.room)
        for i in range(25):
            await ann.restart_session(chat.room)
            await ann.send(chat.room, f"handshake {i}")
            assert await texts(sam, 1) == [f"handshake {i}"]
        await quiet(sam)
    supporter_member = chat.supporter.room(chat.room)["me"]["member_id"]
    uploaded = count(
        chat.world, OneTimePreKey, OneTimePreKey.member_id == uuid.UUID(supporter_member)
    )
    claimed = count(
        chat.world,
        OneTimePreKey,
        OneTimePreKey.member_id == uuid.UUID(supporter_member),
        OneTimePreKey.claimed_at != None,  # noqa: E711
    )
    assert uploaded > 10  # topped up
    assert claimed > 10  # more handshakes had a one-time prekey than the first upload held
    # The supporter's keystore dropped every used one-time prekey and kept the unclaimed ones.
    store = chat.supporter.keys.room(chat.room)
    assert store is not None and len(store.one_time_prekeys) == uploaded - claimed
