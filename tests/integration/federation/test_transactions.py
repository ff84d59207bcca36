"""Transactions between two live nodes: several outbox workers send each item once and in
order; malformed, foreign or repeated transactions are answered and change nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from client.events import MessageAccepted
from server.db.models import FederationTransaction, MailboxEntry
from tests.integration.federation.nodes import Node, node, peer, signed, two_nodes
from tests.integration.federation.recorder import recording_proxy
from tests.integration.federation.test_anonymity import Pair
from tests.integration.federation.test_rooms import FAST, matched, relay, texts
from tests.integration.peers import assert_problem, count


async def test_several_outbox_workers_send_each_envelope_once_in_order(tmp_path: Path) -> None:
    many = {**FAST, "federation_outbox_workers": 4, "federation_outbox_batch": 5}
    with recording_proxy() as front_b:
        with node(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path / "a", "alpha",
                  **many) as a:  # fmt: skip
            with node(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", tmp_path / "b", "beta",
                      public_origin=front_b.url, **many) as b:  # fmt: skip
                front_b.target = b.world.server.base_url
                peer(a, b)
                pair = Pair(a, b)
                try:
                    await _burst(pair, tmp_path)
                finally:
                    for api in pair.people:
                        api.close()
    envelopes: list[str] = []
    for path, request, _, _ in front_b.seen:
        if path.startswith("/federation/v1/send/"):
            body = json.loads(request)
            envelopes += [i["envelope"] for i in body["items"] if i["kind"] == "envelope"]
    assert len(envelopes) == 31 and len(set(envelopes)) == 31  # each sent exactly once


async def _burst(pair: Pair, tmp_path: Path) -> None:
    asker, helper, room = await asyncio.to_thread(matched, pair, tmp_path)  # type: ignore[arg-type]
    async with relay(asker) as ann, relay(helper) as sam:
        await ann.send(room, "first")
        assert await texts(sam, 1) == ["first"]
        for i in range(30):
            await ann.send(room, f"burst {i}")
        await _accepted(ann, 31)
        assert await texts(sam, 30) == [f"burst {i}" for i in range(30)]


async def _accepted(client: object, n: int) -> None:
    from tests.integration.relay.test_relay_client import expect

    await expect(client, MessageAccepted, n)  # type: ignore[arg-type]


@pytest.fixture
def pair(tmp_path: Path):
    with two_nodes(tmp_path) as both:
        yield both


SEND = "/federation/v1/send/{}"


def test_a_malformed_transaction_is_refused(pair: tuple[Node, Node]) -> None:
    a, b = pair
    for body in ({"items": []}, {"items": "x"}, {"other": 1}):
        response, _, _ = signed(a.identity, b, "PUT", SEND.format("t-1"), body)
        assert_problem(response, 422)
    response, _, _ = signed(a.identity, b, "PUT", SEND.format("x" * 65), {"items": [{"kind": "a"}]})
    assert_problem(response, 422, "transaction id")
    assert count(b.world, FederationTransaction) == 0


def test_items_for_someone_elses_room_are_refused_each_and_store_nothing(
    pair: tuple[Node, Node],
) -> None:
    a, b = pair
    items = [
        {"kind": "envelope", "room": str(uuid.uuid4()), "sender": str(uuid.uuid4()),
         "envelope": "secret-ciphertext"},
        {"kind": "member.prekeys", "room": str(uuid.uuid4()), "member": str(uuid.uuid4())},
        {"kind": "request.accepted", "token": "no-such-token-xxxxxxxx"},
        {"kind": "no.such.kind"},
    ]  # fmt: skip
    response, _, _ = signed(a.identity, b, "PUT", SEND.format("t-2"), {"items": items})
    assert response.status_code == 200, response.text
    assert [r.get("error") for r in response.json()["results"]] == [
        "not_found",
        "not_found",
        "not_found",
        "invalid",
    ]
    assert "secret-ciphertext" not in response.text
    assert count(b.world, MailboxEntry) == 0
    # The same transaction again is answered as a duplicate, not applied again.
    again, _, _ = signed(a.identity, b, "PUT", SEND.format("t-2"), {"items": items})
    assert again.json() == {"status": "duplicate"}
    assert count(b.world, FederationTransaction) == 1
