"""A forwarded request the peer never answers: with three live nodes, it falls back to the next
peer when its deadline passes, then (no peer left, nobody local) ends as a local request would;
each peer is told to drop it, and an answer arriving after the deadline is refused and changes
nothing on the requester's node."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from client import Peerhaven
from server.accounts.roles import Role
from server.db.models import FederatedRequest, FederationPeer, Room, SupportRequest
from server.federation.outbox import SEND_PATH
from tests.integration.federation.nodes import Node, node, signed
from tests.integration.federation.test_blocks import TOPIC, clinician, supporter
from tests.integration.federation.test_rooms import FAST, Federation, person, wait_for
from tests.integration.peers import count

DEADLINE = {"federation_forward_timeout_seconds": 2.5, "federation_forward_sweep_seconds": 0.1}


class ThreeNodes(Federation):
    """Federation's nodes A and B, and a node C peered with A."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path, **DEADLINE)
        database = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
        self.c: Node = self.stack.enter_context(
            node(database, tmp_path / "c", "gamma", **FAST, **DEADLINE)
        )
        assert self.a.allow(self.c).status_code == 201
        assert self.c.allow(self.a).json()["status"] == "active"


@pytest.fixture
def three(tmp_path: Path) -> Iterator[ThreeNodes]:
    built = ThreeNodes(tmp_path)
    yield built
    built.close()


def _tokens(n: Node) -> list[tuple[str, str | None, uuid.UUID]]:
    """Node A's forwarded rows: (token, status, peer id), oldest first."""

    async def go(session: Any) -> list[tuple[str, str | None, uuid.UUID]]:
        rows = await session.exec(
            select(FederatedRequest.token, FederatedRequest.status, FederatedRequest.peer_id)
            .where(col(FederatedRequest.inbound).is_(False))
            .order_by(col(FederatedRequest.created_at))
        )
        return list(rows.all())

    found: list[tuple[str, str | None, uuid.UUID]] = n.world.run(go)
    return found


def _request_status(n: Node) -> str:
    async def go(session: Any) -> str:
        return str((await session.exec(select(SupportRequest.status))).one())

    found: str = n.world.run(go)
    return found


def test_no_answer_falls_back_to_the_next_peer_and_late_answers_change_nothing(
    three: ThreeNodes, tmp_path: Path
) -> None:
    sam = supporter(three, tmp_path, "sam")  # on node B
    cat = person(three.c, tmp_path / "cat", Role.SUPPORTER, three.people)
    cat.set_profile(specialty="207P00000X", years_experience=15, career_stage="senior",
                    languages=["en"], time_zone="UTC")  # fmt: skip
    cat.set_supporter_profile(topic_expertise=TOPIC)
    ann = clinician(three, tmp_path)
    wait_for(lambda: all((p["availability"] or {}).get("total") for p in three.a.peers()))
    request = ann.request_support(TOPIC)
    assert request["status"] == "offered"
    helpers: list[Peerhaven] = [sam, cat]
    first = next(h for h in helpers if h.offers())
    second = next(h for h in helpers if h is not first)
    assert second.offers() == []
    # Nobody on the first peer answers: past the deadline the request goes to the next peer,
    # and the first peer withdraws its offer.
    wait_for(lambda: len(second.offers()) == 1)
    wait_for(lambda: first.offers() == [])
    # A late answer from the first peer (signed by it) is refused and changes nothing: the
    # request stays offered to the second peer, and no room opens.
    (token, expired, peer_id), (_, waiting, _) = _tokens(three.a)
    assert (expired, waiting) == ("expired", "waiting")
    late_node = three.b if _peer_url(three.a, peer_id) == three.b.url else three.c
    for n, item in enumerate(_late_answers(token)):
        path = SEND_PATH.format(txn_id=f"late-{n}")
        response, _, _ = signed(late_node.identity, three.a, "PUT", path, {"items": [item]})
        assert response.status_code == 200, response.text
        assert response.json()["results"] == [{"error": "request_closed"}]
        assert count(three.a.world, Room) == 0
        assert _request_status(three.a) == "offered"
        assert [s for _, s, _ in _tokens(three.a)] == ["expired", "waiting"]
    assert len(second.offers()) == 1
    # Nobody answers there either, and there is no other peer and nobody local.
    wait_for(lambda: ann.request_status(request["id"])["status"] == "unavailable")
    wait_for(lambda: second.offers() == [])
    assert [s for _, s, _ in _tokens(three.a)] == ["expired", "expired"]
    assert ann.rooms() == []


def _late_answers(token: str) -> list[dict[str, Any]]:
    def side(handle: str, band: str) -> dict[str, str]:
        return {"member": str(uuid.uuid4()), "handle": handle, "specialty_label": "Psychiatry",
                "band": band}  # fmt: skip

    accepted = {"kind": "request.accepted", "token": token, "room": str(uuid.uuid4()),
                "topics": TOPIC, "requester": side("Calm Heron", "under 5 years"),
                "supporter": side("Quiet Finch", "10-19 years")}  # fmt: skip
    return [{"kind": "request.unavailable", "token": token}, accepted]


def _peer_url(n: Node, peer_id: uuid.UUID) -> str:
    async def go(session: Any) -> str:
        peer = await session.get(FederationPeer, peer_id)
        return str(peer.url)

    found: str = n.world.run(go)
    return found
