"""Nodes and peering: the well-known document, mutual allow-lists by URL and pinned key,
revocation, and the institution check."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from server.db.models import FederationPeer, Institution, Invite
from server.federation.node import fingerprint
from tests.integration.federation.nodes import Node, node, peer
from tests.integration.peers import assert_problem, count


def _sqlite(tmp_path: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"


@pytest.fixture
def pair(tmp_path: Path, database_url: str):
    # Node A on the parametrised backend, node B always on SQLite: separate databases.
    with (
        node(database_url, tmp_path / "a", "alpha") as a,
        node(_sqlite(tmp_path, "b"), tmp_path / "b", "beta") as b,
    ):
        yield a, b


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_well_known_document_names_the_node_and_its_key(pair: tuple[Node, Node]) -> None:
    a, _ = pair
    document = httpx.get(a.url + "/.well-known/peerhaven/node").json()
    assert document["name"] == a.url
    assert document["key"]["fingerprint"] == a.identity.fingerprint
    assert document["key"]["alg"] == "ed25519"
    assert "peerhaven-federation/1" in document["protocol_versions"]
    import base64

    raw = base64.urlsafe_b64decode(document["key"]["public_key"] + "==")
    assert fingerprint(raw) == a.identity.fingerprint


def test_peering_is_active_only_once_both_sides_allow(pair: tuple[Node, Node]) -> None:
    a, b = pair
    first = a.allow(b)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "pending"  # B has not allowed A yet
    assert b.peers() == []
    second = b.allow(a)
    assert second.json()["status"] == "active"
    assert [p["status"] for p in a.peers()] == ["active"]
    assert a.peers()[0]["fingerprint"] == b.identity.fingerprint


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_wrong_pin_is_refused_and_stores_nothing(pair: tuple[Node, Node]) -> None:
    a, b = pair
    response = a.allow(b, fingerprint="ab" * 32)
    assert_problem(response, 422, "fingerprint")
    assert "ab" * 32 not in response.text
    assert count(a.world, FederationPeer) == 0
    assert_problem(a.allow(b, fingerprint="not hex"), 422, "fingerprint")
    assert_problem(a.allow(a), 422, "this node")
    assert count(a.world, FederationPeer) == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unreachable_node_is_refused_and_stores_nothing(pair: tuple[Node, Node]) -> None:
    a, b = pair
    response = a.admin_call(
        "POST", "/api/v1/federation/peers",
        {"url": "http://127.0.0.1:9", "fingerprint": b.identity.fingerprint},
    )  # fmt: skip
    assert_problem(response, 503)
    assert count(a.world, FederationPeer) == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_revoking_ends_the_peering_on_both_sides_and_can_be_undone(
    pair: tuple[Node, Node],
) -> None:
    a, b = pair
    peer(a, b)
    (b_on_a,) = a.peers()
    revoked = a.admin_call("DELETE", f"/api/v1/federation/peers/{b_on_a['id']}")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert [p["status"] for p in b.peers()] == ["revoked"]  # B mirrored it
    # Peering again takes both admins again: A alone stays pending (B still refuses A).
    again = a.allow(b)
    assert again.status_code == 201 and again.json()["status"] == "pending"
    assert [p["status"] for p in b.peers()] == ["revoked"]
    assert b.allow(a).json()["status"] == "active"
    assert [p["status"] for p in a.peers()] == ["active"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_peer_nodes_stand_in_is_not_one_of_the_networks_institutions(
    pair: tuple[Node, Node],
) -> None:
    a, b = pair
    before = a.admin_call("GET", "/api/v1/network").json()["institutions"]
    peer(a, b)
    (b_on_a,) = a.peers()
    assert a.admin_call("DELETE", f"/api/v1/federation/peers/{b_on_a['id']}").status_code == 200
    # The stand-in institution exists (it holds B's people's stand-ins), revoked or not...
    assert count(a.world, Institution) == len(before) + 1
    # ...but the network admin's list is the network's own institutions only.
    after = a.admin_call("GET", "/api/v1/network").json()["institutions"]
    assert after == before
    assert [i["slug"] for i in after] == ["alpha-a", "alpha-b"]
    # Nobody administers it: no invites into it, no integration credentials for it.
    async def institution_ids(session: Any) -> set[uuid.UUID]:
        return set((await session.exec(select(Institution.id))).all())

    (shadow,) = a.world.run(institution_ids) - {uuid.UUID(i["id"]) for i in after}
    invites = count(a.world, Invite)
    for path, body in [
        (f"/api/v1/institutions/{shadow}/invites", {"role": "clinician"}),
        (f"/api/v1/institutions/{shadow}/integration-credentials", {"label": "x"}),
    ]:
        assert_problem(a.admin_call("POST", path, json=body), 404)
    assert_problem(a.admin_call("GET", f"/api/v1/institutions/{shadow}/invites"), 404)
    assert count(a.world, Invite) == invites


def test_an_institution_on_both_nodes_refuses_the_peering(tmp_path: Path) -> None:
    with (
        node(_sqlite(tmp_path, "a"), tmp_path / "a", "same") as a,
        node(_sqlite(tmp_path, "b"), tmp_path / "b", "same") as b,
    ):
        assert a.allow(b).json()["status"] == "pending"
        response = b.allow(a)
        assert_problem(response, 409, "institution")
        assert [p["status"] for p in a.peers()] != ["active"]
        assert [p["status"] for p in b.peers()] == ["revoked"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_admins_see_only_their_network_and_others_cannot_peer(pair: tuple[Node, Node]) -> None:
    a, b = pair
    from server.accounts.roles import Role

    clinician = a.world.device(Role.CLINICIAN, "a")
    body = {"url": b.url, "fingerprint": b.identity.fingerprint}
    response = a.world.client.post("/api/v1/federation/peers", json=body,
                                   headers=clinician.headers)  # fmt: skip
    assert_problem(response, 403)
    assert count(a.world, FederationPeer) == 0
