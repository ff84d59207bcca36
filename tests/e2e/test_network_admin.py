"""The network admin's screens in a real Chromium, against two live nodes (separate databases):
the network's own institutions (a peer node's stand-in is not among them), the moderator rota
(who is on duty, primary or backup), and federation peers: this node's address and
fingerprint, adding node B by address and pinned fingerprint (waiting until B allows this node,
active after), revoking it, and allowing it again. Then one institution's admin screen, and the
same network screen in Spanish. axe-core and the tap-target check run on each, with
screenshots (phone and desktop) in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from server.accounts.roles import Role
from server.db.models import FederationPeer
from tests.e2e.a11y import check_screen
from tests.e2e.browser import expect
from tests.e2e.conftest import screenshot
from tests.integration.federation.nodes import Node, two_nodes
from tests.world import World

NewPage = Callable[[], Any]


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    # Availability every 0.2 s, so an active peer's counts arrive while the test looks.
    with two_nodes(tmp_path, peered=False, federation_availability_seconds=0.2) as pair:
        yield pair


@pytest.fixture
def world(nodes: tuple[Node, Node]) -> World:
    """The browser's node is A (the `new_page` fixture opens pages on this world's server)."""
    return nodes[0].world


def on_duty(world: World, tier: str) -> None:
    moderator = world.device(Role.MODERATOR, "a")
    response = world.client.put("/api/v1/moderation/rota/me", headers=moderator.headers,
                                json={"on_duty": True, "tier": tier})  # fmt: skip
    assert response.status_code == 200, response.text


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def grouped(fingerprint: str) -> str:
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def test_the_network_admin_screens(nodes: tuple[Node, Node], new_page: NewPage) -> None:
    a, b = nodes
    page = new_page()
    page.goto("/")
    page.get_by_label("Invite code").fill(a.world.invite(Role.NETWORK_ADMIN, "a"))
    page.get_by_label("I understand that clearing site data deletes my identity.").check()
    page.get_by_role("button", name="Create my identity").click()
    expect(page.get_by_role("heading", name="Alpha North", level=1)).to_be_visible()

    # Institutions: the network's own, each opening its admin screen.
    institutions = page.get_by_test_id("institutions").get_by_role("link")
    expect(institutions).to_have_count(2)
    expect(institutions.first).to_have_accessible_name("ALPHA institution a Invites and check-ins")

    # The rota: nobody yet, said plainly with the next step; then one primary and one backup.
    rota = page.get_by_role("region", name="Moderator rota")
    expect(rota.get_by_text("No moderator has joined the rota yet.")).to_be_visible()
    expect(rota.get_by_text("Nobody is on primary duty.")).to_be_visible()
    on_duty(a.world, "primary")
    on_duty(a.world, "backup")
    page.reload()
    expect(rota.get_by_test_id("rota-summary")).to_have_text(
        "On duty now: 1 primary, 1 backup."
    )
    expect(rota.get_by_test_id("rota").get_by_role("listitem")).to_have_count(2)
    expect(rota.get_by_text("On duty (primary)")).to_be_visible()
    expect(rota.get_by_text("On duty (backup)")).to_be_visible()
    expect(rota.get_by_text("Nobody is on primary duty.")).to_have_count(0)

    # Federation: this node as the other admin needs it.
    federation = page.get_by_role("region", name="Federation")
    expect(federation.get_by_test_id("node-url")).to_have_text(a.url)
    expect(federation.get_by_test_id("node-fingerprint")).to_have_text(
        grouped(a.identity.fingerprint)
    )
    expect(federation.get_by_text("No peer nodes yet.")).to_be_visible()

    # A mistyped fingerprint is caught before anything is sent, in plain words.
    federation.get_by_label("Node address").fill(b.url)
    federation.get_by_label("Key fingerprint", exact=True).fill(b.identity.fingerprint[:-2])
    federation.get_by_role("button", name="Allow this node").click()
    expect(federation.get_by_role("alert")).to_have_text(re.compile("^A fingerprint is 64"))
    assert a.peers() == []

    # As read out over the phone: grouped, in capitals. B has not allowed A: waiting.
    federation.get_by_label("Key fingerprint", exact=True).fill(
        grouped(b.identity.fingerprint).upper()
    )
    federation.get_by_role("button", name="Allow this node").click()
    peers = federation.get_by_test_id("peers")
    item = peers.get_by_role("listitem").filter(has_text=b.url)
    expect(item.get_by_text("Waiting", exact=True)).to_be_visible()
    expect(item.get_by_text("it has not allowed yours yet")).to_be_visible()
    assert [(p["url"], p["status"]) for p in a.peers()] == [(b.url, "pending")]

    # B's admin allows A: both active, and "Check again" shows it.
    assert b.allow(a).json()["status"] == "active"
    federation.get_by_role("button", name="Check again").click()
    expect(item.get_by_text("Active", exact=True)).to_be_visible()
    expect(item.get_by_text("supporters are pooled")).to_be_visible()
    wait_for(lambda: a.peers()[0]["availability"] is not None)
    federation.get_by_role("button", name="Check again").click()
    expect(item.get_by_text("Supporters available there at the last exchange: 0.")).to_be_visible()
    check_screen(page, "network-admin")
    screenshot(page, "network-admin-full")  # the whole page, not only the first viewport

    # The peer's stand-in institution is not listed as one of the network's.
    page.reload()
    expect(institutions).to_have_count(2)
    expect(page.get_by_test_id("institutions")).not_to_contain_text("Peer node")

    # Revoke, after a confirmation; then it can be allowed again with its fingerprint.
    federation.get_by_role("button", name=f"Revoke the peering with {b.url}").click()
    dialog = page.get_by_role("dialog", name=f"Revoke the peering with {b.url}?")
    expect(dialog).to_be_visible()
    check_screen(page, "network-admin-revoke")
    dialog.get_by_role("button", name="Revoke").click()
    expect(item.get_by_text("Revoked", exact=True)).to_be_visible()
    assert [p["status"] for p in a.peers()] == ["revoked"]
    assert [p["status"] for p in b.peers()] == ["revoked"]  # B was told
    federation.get_by_role("button", name=f"Allow {b.url} again").click()
    expect(federation.get_by_label("Node address")).to_have_value(b.url)
    expect(federation.get_by_text("Check the fingerprint with the other node")).to_be_visible()
    federation.get_by_role("button", name="Allow this node").click()
    expect(item.get_by_text("Waiting", exact=True)).to_be_visible()  # B still refuses A
    assert [p["status"] for p in a.peers()] == ["pending"]

    # One institution's admin screen, reached from the list, with network roles to invite.
    institutions.filter(has_text="ALPHA institution b").click()
    expect(page.get_by_role("heading", name="ALPHA institution b", level=1)).to_be_visible()
    invites = page.get_by_role("region", name="Invites")
    invites.get_by_label("Role").select_option("moderator")
    invites.get_by_role("button", name="Create invite").click()
    expect(invites.get_by_test_id("invite-code")).to_have_text(
        re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$")
    )
    expect(invites.get_by_role("cell", name="Moderator", exact=True)).to_be_visible()
    check_screen(page, "network-institution")
    page.get_by_role("link", name="Back to the network").click()
    expect(page.get_by_role("heading", name="Alpha North", level=1)).to_be_visible()

    # An institution of no network of ours (a stand-in, say) is refused in plain words.
    page.goto(f"/#/institution/{_stand_in(a)}")
    expect(page.get_by_role("heading", name="Institution not found")).to_be_visible()
    page.get_by_role("link", name="Back to the network").click()

    # The same screen in Spanish.
    page.get_by_label("Language").select_option("es")
    expect(page.get_by_role("heading", name="Instituciones")).to_be_visible()
    expect(page.get_by_role("heading", name="Turno de moderación")).to_be_visible()
    expect(page.get_by_role("button", name="Autorizar este nodo")).to_be_visible()
    check_screen(page, "network-admin-es")


def _stand_in(node: Node) -> str:
    """The id of the (only) peer node's stand-in institution on `node`."""

    async def find(session: Any) -> str:
        (found,) = (await session.exec(select(FederationPeer.shadow_institution_id))).all()
        return str(found)

    institution_id: str = node.world.run(find)
    return institution_id
