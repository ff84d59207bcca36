"""A clinician on node A, a supporter on node B: forwarded, matched, and an end-to-end
encrypted chat both ways through the Python SDK, across an outage of node B."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from client import KeyFolder, Peerhaven
from client.connection import RelayClient
from client.events import MessageAccepted, MessageReceived
from crypto import verify_report
from crypto.primitives import ARGON2ID_MEMLIMIT_MIN, ARGON2ID_OPSLIMIT_MIN
from server.accounts.roles import Role
from server.db.models import FederationOutbox, MailboxEntry
from server.platform.secrets import load_server_keys
from tests.integration.federation.nodes import Node, node, peer
from tests.integration.peers import count
from tests.integration.relay.test_relay_client import _unb64, expect, quiet, texts

FAST = {
    "federation_availability_seconds": 0.2,
    "federation_outbox_seconds": 0.2,
    "federation_retry_base_seconds": 0.05,
    "federation_retry_max_seconds": 0.4,
}


def wait_for(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def person(n: Node, folder: Path, role: Role, opened: list[Peerhaven]) -> Peerhaven:
    keys = KeyFolder(folder, "a long enough passphrase", opslimit=ARGON2ID_OPSLIMIT_MIN,
                     memlimit=ARGON2ID_MEMLIMIT_MIN)  # fmt: skip
    api = Peerhaven(n.world.server.base_url, keys=keys, origin=n.url)
    opened.append(api)
    api.register(n.world.invite(role, "a"), origin=n.url)
    api.login()
    return api


class Federation:
    """Node A (clinician), node B (supporter), peered; B can be stopped and started."""

    def __init__(self, tmp_path: Path, a_url: str | None = None, **overrides: Any) -> None:
        self.tmp = tmp_path
        self.stack = ExitStack()
        self.people: list[Peerhaven] = []
        settings = {**FAST, **overrides}
        self.a = self.stack.enter_context(
            node(
                a_url or f"sqlite+aiosqlite:///{tmp_path / 'a.db'}",
                tmp_path / "a",
                "alpha",
                **settings,
            )
        )
        self._b_stack = ExitStack()
        self.b: Node = self._b_stack.enter_context(
            node(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", tmp_path / "b", "beta", **settings)
        )
        peer(self.a, self.b)

    def stop_b(self) -> None:
        self._b_stack.close()

    def start_b(self) -> None:
        self._b_stack = ExitStack()
        self.b = self._b_stack.enter_context(node("", Path(), "", again=self.b))

    def close(self) -> None:
        for api in self.people:
            api.close()
        self._b_stack.close()
        self.stack.close()


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    built = Federation(tmp_path)
    yield built
    built.close()


def matched(fed: Federation, tmp_path: Path) -> tuple[Peerhaven, Peerhaven, str]:
    """The clinician (A) asks; B's supporter gets the forwarded offer and accepts."""
    helper = person(fed.b, tmp_path / "sam", Role.SUPPORTER, fed.people)
    helper.set_profile(specialty="207P00000X", years_experience=15, career_stage="senior",
                       languages=["en"], time_zone="UTC")  # fmt: skip
    helper.set_supporter_profile(topic_expertise=["adverse-event"])
    asker = person(fed.a, tmp_path / "ann", Role.CLINICIAN, fed.people)
    asker.set_profile(specialty="207P00000X", years_experience=4, career_stage="resident",
                      languages=["en"], time_zone="UTC")  # fmt: skip
    wait_for(lambda: (fed.a.peers()[0]["availability"] or {}).get("total"))
    request = asker.request_support(["adverse-event"])
    assert request["status"] == "offered"  # forwarded: no supporter on node A
    (offer,) = helper.offers()
    room = helper.accept_offer(offer["id"])["id"]
    status = wait_for(
        lambda: (s := asker.request_status(request["id"]))["status"] == "matched" and s
    )
    assert status["room_id"] == room
    assert asker.room(room)["peer"]["handle"] == helper.room(room)["me"]["handle"]
    helper.join_room(room)
    asker.join_room(room)
    return asker, helper, room


def relay(api: Peerhaven) -> RelayClient:
    return RelayClient(api, backoff_initial=0.05, backoff_max=0.3, proxy=None)


async def test_a_cross_node_chat_both_ways(fed: Federation, tmp_path: Path) -> None:
    asker, helper, room = await asyncio.to_thread(matched, fed, tmp_path)
    async with relay(asker) as ann, relay(helper) as sam:
        await asyncio.wait_for(ann.connected.wait(), 10)
        await asyncio.wait_for(sam.connected.wait(), 10)
        await ann.send(room, "thank you for taking this")  # X3DH with a bundle from node B
        assert await texts(sam, 1) == ["thank you for taking this"]
        await sam.send(room, "of course, I am here")
        assert await texts(ann, 1) == ["of course, I am here"]
        await ann.send(room, "it was a hard night")
        assert await texts(sam, 1) == ["it was a hard night"]
        assert ann.relay is not None and sam.relay is not None
        assert ann.relay.rooms[room].safety_number() == sam.relay.rooms[room].safety_number()
    # Franking tags were made by the recipient's node: a report verifies there.
    secret = load_server_keys(fed.b.world.server.settings).franking_secret
    me = helper.room(room)["me"]["member_id"]
    received = helper.keys.ledger().received
    assert [m.plaintext for m in received] == [b"thank you for taking this", b"it was a hard night"]
    for message in received:
        verify_report(
            secret, plaintext=message.plaintext, franking_key=message.franking_key,
            tag=_unb64(message.tag), room=message.room, sender=message.sender, recipient=me,
            timestamp=int(datetime.fromisoformat(message.ts).timestamp() * 1000),
        )  # fmt: skip
    # Leaving crosses too: the room closes on node A, and the supporter shows as gone.
    helper.leave_room(room)
    seen = wait_for(lambda: (r := asker.room(room))["status"] == "closed" and r)
    assert seen["peer"]["left"] is True
    # The outboxes drain (acknowledgements on B leave nothing behind on either node).
    wait_for(lambda: count(fed.a.world, FederationOutbox) == 0)
    wait_for(lambda: count(fed.b.world, MailboxEntry) + count(fed.a.world, MailboxEntry) == 0)


async def test_nothing_is_lost_while_the_peer_node_is_down(fed: Federation, tmp_path: Path) -> None:
    asker, helper, room = await asyncio.to_thread(matched, fed, tmp_path)
    async with relay(asker) as ann:
        async with relay(helper) as sam:
            await ann.send(room, "before")
            assert await texts(sam, 1) == ["before"]
            await sam.send(room, "reply")
            assert await texts(ann, 1) == ["reply"]
        await asyncio.to_thread(fed.stop_b)
        for i in range(12):
            await ann.send(room, f"while down {i}")
        await expect(ann, MessageAccepted, 12)  # node A took them: they are A's to deliver
        await asyncio.sleep(1.0)  # several failed attempts with backoff
        queued = count(fed.a.world, FederationOutbox) + count(fed.a.world, MailboxEntry)
        assert queued == 12
        await asyncio.to_thread(fed.start_b)
        async with relay(helper) as sam:
            assert await texts(sam, 12) == [f"while down {i}" for i in range(12)]
            assert not [e for e in await quiet(sam) if isinstance(e, MessageReceived)]
            await sam.send(room, "I am back")
            assert await texts(ann, 1) == ["I am back"]
    wait_for(lambda: count(fed.a.world, FederationOutbox) == 0)


def test_a_cancelled_forwarded_request_is_withdrawn_on_the_peer(
    fed: Federation, tmp_path: Path
) -> None:
    helper = person(fed.b, tmp_path / "sam", Role.SUPPORTER, fed.people)
    helper.set_profile(specialty="207P00000X", years_experience=15, career_stage="senior",
                       languages=["en"], time_zone="UTC")  # fmt: skip
    helper.set_supporter_profile(topic_expertise=["adverse-event"])
    asker = person(fed.a, tmp_path / "ann", Role.CLINICIAN, fed.people)
    asker.set_profile(specialty="207P00000X", years_experience=4, career_stage="resident",
                      languages=["en"], time_zone="UTC")  # fmt: skip
    wait_for(lambda: (fed.a.peers()[0]["availability"] or {}).get("total"))
    request = asker.request_support(["adverse-event"])
    assert request["status"] == "offered" and len(helper.offers()) == 1
    assert asker.cancel_request(request["id"])["status"] == "cancelled"
    wait_for(lambda: helper.offers() == [])


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_cross_node_chat_with_node_a_on_postgresql(
    database_url: str, tmp_path: Path
) -> None:
    fed = await asyncio.to_thread(Federation, tmp_path, database_url)
    try:
        asker, helper, room = await asyncio.to_thread(matched, fed, tmp_path)
        async with relay(asker) as ann, relay(helper) as sam:
            await ann.send(room, "from postgres")
            assert await texts(sam, 1) == ["from postgres"]
            await sam.send(room, "to postgres")
            assert await texts(ann, 1) == ["to postgres"]
    finally:
        await asyncio.to_thread(fed.close)
