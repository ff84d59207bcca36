"""Web Push through the real server to a push service on loopback: what arrives is encrypted to
the browser's keys, signed with the server's VAPID key, and, decrypted, holds a fixed notice and
nothing else; gone subscriptions are dropped; logout revokes; bad input changes nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crypto.encoding import b64decode
from server.db.models import PushSubscription
from tests.integration.flows import Flow, build_flow
from tests.integration.peers import (
    Person,
    assert_problem,
    clinician,
    count,
    custom_world,
    supporter,
)
from tests.integration.push.pushservice import Browser, PushService, push_service, vapid_key_of
from tests.integration.sockets import open_socket
from tests.world import World

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SUBSCRIPTIONS = "/api/v1/push/subscriptions"
OFFER_NOTICE = {"kind": "offer", "title": "Peerhaven", "body": "You have a new request for support"}


@pytest.fixture
def service() -> Iterator[PushService]:
    with push_service() as running:
        yield running


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    with custom_world(database_url, tmp_path, push_https_only=False,
                      push_message_delay_seconds=0.2) as built:  # fmt: skip
        yield built


def subscribe(person: Person, service: PushService, name: str) -> Browser:
    browser = Browser(endpoint=f"{service.base_url}/push/{name}-{uuid.uuid4().hex}")
    person.ok("POST", SUBSCRIPTIONS, browser.subscription(), status=201)
    return browser


def test_offer_and_match_reach_the_push_service_with_no_content(
    world: World, service: PushService
) -> None:
    helper = supporter(world, "b")
    asker = clinician(world, "a")
    helper_browser = subscribe(helper, service, "helper")
    asker_browser = subscribe(asker, service, "asker")

    asker.ask(("adverse-event", "burnout"), urgency="soon")
    offer_push = service.next()
    assert offer_push.path == helper_browser.endpoint.removeprefix(service.base_url)
    # Signed with this server's VAPID key (RFC 8292), encrypted to the browser (RFC 8291).
    key = helper.ok("GET", "/api/v1/push/key")["public_key"]
    assert vapid_key_of(offer_push) == b64decode(key, field="k", length=65, max_length=65)
    assert int(offer_push.headers["ttl"]) == world.server.settings.push_ttl_seconds
    assert b"request" not in offer_push.body
    assert helper_browser.decrypt(offer_push) == OFFER_NOTICE
    with pytest.raises(Exception):  # noqa: B017 - another browser's keys cannot read it
        asker_browser.decrypt(offer_push)

    (offer,) = helper.offers()
    room = helper.ok("POST", f"/api/v1/offers/{offer['id']}/accept")
    matched = service.next()
    assert matched.path == asker_browser.endpoint.removeprefix(service.base_url)
    notice = asker_browser.decrypt(matched)
    assert notice == {"kind": "matched", "title": "Peerhaven",
                      "body": "A supporter is ready to talk with you"}  # fmt: skip
    # Nothing of the room, its pseudonyms or the topics reaches the push service.
    for word in (room["id"], room["me"]["handle"], room["peer"]["handle"], "burnout"):
        assert word not in str(notice) and word.encode() not in matched.body


@SQLITE_ONLY
def test_a_gone_subscription_is_removed(world: World, service: PushService) -> None:
    helper = supporter(world, "b")
    subscribe(helper, service, "gone")
    assert len(helper.ok("GET", SUBSCRIPTIONS)) == 1
    service.status = 410
    clinician(world, "a").ask()
    service.next()
    deadline = time.monotonic() + 5
    while count(world, PushSubscription) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert helper.ok("GET", SUBSCRIPTIONS) == []


@SQLITE_ONLY
def test_own_subscriptions_listed_deleted_and_revoked_on_logout(
    world: World, service: PushService
) -> None:
    helper = supporter(world, "b")
    other = supporter(world, "c")
    browser = subscribe(helper, service, "mine")
    # Subscribing again refreshes the keys of the same subscription.
    again = helper.ok("POST", SUBSCRIPTIONS, browser.subscription(), status=201)
    (listed,) = helper.ok("GET", SUBSCRIPTIONS)
    assert listed["id"] == again["id"] and "endpoint" not in listed

    # Someone else's subscription: not found, not deleted; their endpoint: conflict.
    assert_problem(other.call("DELETE", f"{SUBSCRIPTIONS}/{listed['id']}"), 404)
    assert_problem(other.call("POST", SUBSCRIPTIONS, browser.subscription()), 409)
    assert count(world, PushSubscription) == 1

    assert helper.call("DELETE", f"{SUBSCRIPTIONS}/{listed['id']}").status_code == 204
    assert count(world, PushSubscription) == 0

    subscribe(helper, service, "again")
    assert helper.call("DELETE", "/api/v1/auth/tokens/current").status_code == 204
    assert count(world, PushSubscription) == 0


@SQLITE_ONLY
def test_bad_subscriptions_get_clear_errors_and_change_nothing(
    world: World, service: PushService
) -> None:
    helper = supporter(world, "b")
    good = Browser(endpoint=f"{service.base_url}/push/x").subscription()
    bad_point = "BA" + "A" * 85  # 65 bytes, 0x04 prefix, not on the curve
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "endpoint": "ftp://127.0.0.1/secret-endpoint"}, "endpoint"),
        ({**good, "endpoint": "http://user:pw@127.0.0.1/secret-endpoint"}, "endpoint"),
        ({**good, "keys": {**good["keys"], "p256dh": bad_point}}, "p256dh"),
        ({**good, "keys": {**good["keys"], "auth": "A" * 24}}, "auth"),
        ({**good, "extra": 1}, ""),
    ]
    for body, word in cases:
        problem = assert_problem(helper.call("POST", SUBSCRIPTIONS, body), 422, word)
        assert "secret-endpoint" not in str(problem) and bad_point not in str(problem)
    assert_problem(world.client.post(SUBSCRIPTIONS, json=good), 401)
    assert count(world, PushSubscription) == 0


@SQLITE_ONLY
def test_https_only_by_default(database_url: str, tmp_path: Path) -> None:
    with custom_world(database_url, tmp_path) as built:
        helper = supporter(built, "b")
        body = Browser(endpoint="http://127.0.0.1:9/push/plain").subscription()
        assert_problem(helper.call("POST", SUBSCRIPTIONS, body), 422, "https")
        assert count(built, PushSubscription) == 0


@pytest.fixture
def flow(world: World, tmp_path: Path) -> Iterator[Flow]:
    built = build_flow(world, tmp_path)
    yield built
    built.clinician.client.close()
    built.supporter.client.close()


@SQLITE_ONLY
async def test_an_unread_message_pushes_new_message(
    world: World, flow: Flow, service: PushService
) -> None:
    browser = _subscribe_supporter(flow, service)
    alice = await open_socket(world.server.base_url, flow.clinician.client._token)
    session = flow.clinician.client.start_session(flow.room_id)
    envelope = session.encrypt(b"the canary that must not reach a push service")
    await alice.send({"type": "send", "envelope": envelope.encode().decode()})
    await alice.expect("accepted")
    pushed = service.next()
    assert browser.decrypt(pushed) == {"kind": "message", "title": "Peerhaven",
                                       "body": "New message"}  # fmt: skip
    assert b"canary" not in pushed.body
    await alice.close()


def _auth(side: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {side.client._token}"}


def _subscribe_supporter(flow: Flow, service: PushService) -> Browser:
    browser = Browser(endpoint=f"{service.base_url}/push/supporter")
    response = flow.supporter.client.http.post(
        SUBSCRIPTIONS, json=browser.subscription(), headers=_auth(flow.supporter)
    )
    assert response.status_code == 201, response.text
    return browser


@SQLITE_ONLY
async def test_a_message_read_at_once_pushes_nothing(
    world: World, flow: Flow, service: PushService
) -> None:
    _subscribe_supporter(flow, service)
    alice = await open_socket(world.server.base_url, flow.clinician.client._token)
    bob = await open_socket(world.server.base_url, flow.supporter.client._token)
    envelope = flow.clinician.client.start_session(flow.room_id).encrypt(b"read at once")
    await alice.send({"type": "send", "envelope": envelope.encode().decode()})
    delivered = await bob.expect("deliver")
    await bob.send({"type": "ack", "ids": [delivered["id"]]})
    await bob.send({"type": "ping"})
    await bob.expect("pong")
    # Past the delay (0.2 s) with nothing left unread: no push.
    assert service.nothing_within(world.server.settings.push_message_delay_seconds + 0.6)
    await alice.close()
    await bob.close()


@SQLITE_ONLY
async def test_one_sweep_checks_every_waiting_recipient_with_one_query(
    world: World, flow: Flow, service: PushService
) -> None:
    import asyncio
    import os
    from datetime import UTC, datetime

    from sqlalchemy import event

    from server.db.engine import Database
    from server.push.sender import PushSender

    browser = _subscribe_supporter(flow, service)
    alice = await open_socket(world.server.base_url, flow.clinician.client._token)
    envelope = flow.clinician.client.start_session(flow.room_id).encrypt(b"left unread")
    await alice.send({"type": "send", "envelope": envelope.encode().decode()})
    await alice.expect("accepted")
    await alice.close()
    await asyncio.to_thread(service.next)  # the live server's own push for it
    # A second sender on the same database: a burst for many recipients, one of whom has a
    # subscription and an unread delivery.
    db = Database(world.url)
    mailbox_reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "mailbox" in statement and statement.lstrip().upper().startswith("SELECT"):
            mailbox_reads.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    sender = PushSender(db, settings=world.server.settings, vapid_private_key=os.urandom(32),
                        clock=lambda: datetime.now(UTC))  # fmt: skip
    try:
        strangers = [uuid.uuid4() for _ in range(40)]
        for who in [*strangers, uuid.UUID(flow.clinician.me["account_id"]),
                    uuid.UUID(flow.supporter.me["account_id"])]:  # fmt: skip
            sender.message_stored(who, uuid.uuid4())
            sender.message_stored(who, uuid.uuid4())  # a second delivery waits with the first
        pushed = await asyncio.to_thread(service.next)
        assert browser.decrypt(pushed)["body"] == "New message"
        assert await asyncio.to_thread(service.nothing_within, 0.5)
        assert len(mailbox_reads) == 1, mailbox_reads
    finally:
        await sender.stop()
        await db.dispose()
