"""Blocks across nodes, with two live nodes: a clinician on node A who blocked a supporter on
node B is never offered that supporter again through a forwarded request, nor is one who was
blocked by a supporter of node B; and neither node's database holds the other side's account
ids. A forwarded request's block references are checked (malformed: refused, nothing changed;
unknown or another room's: no effect)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from client import Peerhaven
from server.accounts.roles import Role
from server.db.models import Account, Block, FederatedRequest
from server.federation.forwarding import REQUESTS_PATH
from tests.integration.federation.nodes import Node, signed
from tests.integration.federation.test_rooms import Federation, person, wait_for
from tests.integration.peers import assert_problem, count

TOPIC = ["adverse-event"]


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    built = Federation(tmp_path)
    yield built
    built.close()


def supporter(fed: Federation, tmp_path: Path, name: str) -> Peerhaven:
    helper = person(fed.b, tmp_path / name, Role.SUPPORTER, fed.people)
    helper.set_profile(specialty="207P00000X", years_experience=15, career_stage="senior",
                       languages=["en"], time_zone="UTC")  # fmt: skip
    helper.set_supporter_profile(topic_expertise=TOPIC)
    return helper


def clinician(fed: Federation, tmp_path: Path) -> Peerhaven:
    asker = person(fed.a, tmp_path / "ann", Role.CLINICIAN, fed.people)
    asker.set_profile(specialty="207P00000X", years_experience=4, career_stage="resident",
                      languages=["en"], time_zone="UTC")  # fmt: skip
    return asker


def available(fed: Federation, total: int) -> None:
    wait_for(lambda: (fed.a.peers()[0]["availability"] or {}).get("total") == total)


def room_with(fed: Federation, asker: Peerhaven, helper: Peerhaven) -> str:
    """The clinician asks; the request crosses to node B and `helper` (offered) accepts."""
    request = asker.request_support(TOPIC)
    assert request["status"] == "offered"
    (offer,) = helper.offers()
    room: str = helper.accept_offer(offer["id"])["id"]
    wait_for(lambda: asker.request_status(request["id"])["status"] == "matched")
    return room


def _database_bytes(n: Node) -> bytes:
    path = Path(n.world.server.settings.database_url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def _ids(api: Peerhaven) -> list[bytes]:
    account = uuid.UUID(api.me()["account_id"])
    return [str(account).encode(), account.hex.encode()]


def test_blocks_either_way_hold_for_later_forwarded_requests(
    fed: Federation, tmp_path: Path
) -> None:
    sam = supporter(fed, tmp_path, "sam")
    ann = clinician(fed, tmp_path)
    available(fed, 1)
    first = room_with(fed, ann, sam)
    # Ann blocks Sam on node A; the close (and the block) crosses to node B.
    ann.block_peer(first)
    wait_for(lambda: sam.room(first)["status"] == "closed")
    available(fed, 1)  # Sam is free again: without the block he would be offered
    again = ann.request_support(TOPIC)
    assert again["status"] == "unavailable"  # node B had nobody else for Ann
    assert sam.offers() == []
    # A new supporter on node B is offered Ann's next request; she blocks Ann there.
    kim = supporter(fed, tmp_path, "kim")
    available(fed, 2)
    second = room_with(fed, ann, kim)
    assert sam.offers() == []
    kim.block_peer(second)
    wait_for(lambda: ann.room(second)["status"] == "closed")
    available(fed, 2)
    last = ann.request_support(TOPIC)
    assert last["status"] == "unavailable"
    assert sam.offers() == [] and kim.offers() == []
    # The blocks on node B are between its supporters and per-request stand-ins: each forwarded
    # request carried only room member ids, and no node holds the other side's account ids.
    assert count(fed.b.world, Block) >= 3
    a_bytes, b_bytes = _database_bytes(fed.a), _database_bytes(fed.b)
    assert not [i for i in _ids(sam) + _ids(kim) if i in a_bytes]
    assert not [i for i in _ids(ann) if i in b_bytes]


def _forwarded(token: str, avoid: object) -> dict[str, object]:
    return {"token": token, "specialty": "207P00000X", "experience_band": "under 5 years",
            "languages": ["en"], "topics": TOPIC, "urgency": "soon", "avoid": avoid}  # fmt: skip


def test_block_references_are_checked(fed: Federation, tmp_path: Path) -> None:
    sam = supporter(fed, tmp_path, "sam")
    ann = clinician(fed, tmp_path)
    available(fed, 1)
    first = room_with(fed, ann, sam)
    sam_member = sam.room(first)["me"]["member_id"]
    ann_member = sam.room(first)["peer"]["member_id"]
    accounts = count(fed.b.world, Account)
    for avoid in (["not-a-uuid"], [sam_member] * 101, "everyone"):
        response, _, _ = signed(fed.a.identity, fed.b, "POST", REQUESTS_PATH,
                                _forwarded("t" * 20 + uuid.uuid4().hex, avoid))  # fmt: skip
        assert_problem(response, 422)
        assert sam_member not in response.text
    assert count(fed.b.world, Account) == accounts
    assert count(fed.b.world, FederatedRequest, FederatedRequest.inbound) == 1
    # An unknown member, and the stand-in's own member id, exclude nobody: Sam is offered.
    ann.close_room(first)
    wait_for(lambda: sam.room(first)["status"] == "closed")
    response, _, _ = signed(fed.a.identity, fed.b, "POST", REQUESTS_PATH,
                            _forwarded("u" * 20 + uuid.uuid4().hex,
                                       [str(uuid.uuid4()), ann_member]))  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "offered"
    assert len(sam.offers()) == 1
