"""The browser client end to end, in a real headless Chromium against a real server.

- a clinician in the browser and a supporter on the Python client complete a conversation, and
  the server's stored data holds none of what was typed in the browser;
- two browsers (clinician, supporter with a passphrase) complete a conversation: offer, accept,
  safety numbers, delivered state, ending the room;
- a browser that loses its connection shows it, reconnects and receives what it missed, and
  sends what was typed meanwhile;
- a handshake with another key for the peer (a malicious server) is refused: the browser shows
  a calm warning that must be acknowledged, and "verified" is cleared.

Screenshots of each main screen go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from server.accounts.roles import Role
from server.db.models import OneTimePreKey
from tests.e2e.browser import (
    ask_for_support,
    expect,
    open_safety_number,
    register,
    save_profile,
    send,
)
from tests.e2e.conftest import screenshot
from tests.e2e.peer import PythonPeer
from tests.integration.canary import leaks
from tests.integration.flows import side
from tests.integration.peers import count
from tests.world import World

NewPage = Callable[[], Any]


def python_supporter(world: World, tmp_path: Path) -> Any:
    supporter = side(world, tmp_path, "supporter", Role.SUPPORTER, "b")
    supporter.client.set_profile(specialty="207P00000X", years_experience=15,
                                 career_stage="senior", languages=["en"],
                                 time_zone="Europe/Berlin")  # fmt: skip
    supporter.client.set_supporter_profile(topic_expertise=["adverse-event", "burnout"])
    return supporter


@contextmanager
def clinician_in_room(
    world: World, tmp_path: Path, page: Any, *, shots: bool = False
) -> Iterator[PythonPeer]:
    """The browser clinician asks, the Python supporter accepts; both end up in the room."""
    supporter = python_supporter(world, tmp_path)
    register(page, world.invite(Role.CLINICIAN, "a"))
    if shots:
        screenshot(page, "profile")
    save_profile(page, years=4, stage="resident")
    if shots:
        screenshot(page, "home-clinician")
    ask_for_support(page, "An adverse event")
    expect(page.get_by_role("heading", name="A supporter has been asked")).to_be_visible()
    if shots:
        screenshot(page, "waiting")
    (offer,) = supporter.client.offers()
    room = supporter.client.accept_offer(offer["id"])
    supporter.client.join_room(room["id"])
    expect(page.get_by_role("heading", name=re.compile("^Talking with "))).to_be_visible(
        timeout=15_000
    )
    expect(page.get_by_label("Message", exact=True)).to_be_enabled()
    peer = PythonPeer(supporter, world.server.base_url, room["id"])
    peer.connect()
    try:
        yield peer
    finally:
        peer.close()


def test_browser_clinician_and_python_supporter(
    world: World, tmp_path: Path, new_page: NewPage
) -> None:
    page = new_page()
    typed = [f"canary {uuid.uuid4().hex} after the night shift", f"canary {uuid.uuid4().hex} ok"]
    with clinician_in_room(world, tmp_path, page, shots=True) as peer:
        send(page, typed[0])
        assert peer.receive_text() == typed[0]
        mine = page.locator(".message.mine .state").first
        expect(mine).to_have_attribute("data-state", "sent")
        reply_id = peer.send_text("I am here. Take your time.")
        expect(page.locator(".message.theirs .text")).to_have_text("I am here. Take your time.")
        send(page, typed[1])
        assert peer.receive_text() == typed[1]
        # The browser confirms what it received with an encrypted receipt.
        assert reply_id in peer.receive_receipt()
        number = open_safety_number(page)
        assert re.fullmatch(r"(\d{5} ){11}\d{5}", number)
        assert number.replace(" ", "") == peer.side.client.safety_number(peer.room_id)
        screenshot(page, "safety-number")
        page.get_by_role("button", name="Close").click()
        screenshot(page, "room")
        page.get_by_role("button", name="More options").click()
        page.get_by_role("button", name="Block").click()
        page.get_by_role("dialog").get_by_role("button", name="Block").click()
        expect(page.get_by_text("This conversation has ended.")).to_be_visible()
        expect(page.get_by_text("You blocked")).to_be_visible()
        expect(page.get_by_role("link", name="Ask for support again")).to_be_visible()
        expect(page.get_by_label("Message", exact=True)).to_be_hidden()
        screenshot(page, "room-closed")
        assert peer.side.client.room(peer.room_id)["status"] == "closed"

    stored = b"".join(
        path.read_bytes() for path in world.server.settings.data_dir.rglob("*") if path.is_file()
    )
    assert stored, "the server stored nothing?"
    for text in typed:
        canary = text.split()[1]
        assert leaks(stored, canary) == [], "typed text reached the server's storage"


def test_the_browser_tops_up_its_one_time_prekeys_when_told(
    world: World, tmp_path: Path, new_page: NewPage
) -> None:
    page = new_page()
    with clinician_in_room(world, tmp_path, page) as peer:
        supporter = peer.side.client
        browser_member = uuid.UUID(supporter.room(peer.room_id)["peer"]["member_id"])

        def unclaimed() -> int:
            return count(world, OneTimePreKey, OneTimePreKey.member_id == browser_member,
                         OneTimePreKey.claimed_at.is_(None))  # type: ignore[union-attr]  # fmt: skip

        assert unclaimed() == 10
        for _ in range(8):  # below the low mark: the server sends the browser `prekeys_low`
            assert supporter.claim_peer_bundle(peer.room_id)[1].one_time_prekey is not None
        deadline = time.monotonic() + 15
        while unclaimed() <= 2:
            assert time.monotonic() < deadline, "the browser did not top up its prekeys"
            time.sleep(0.2)
        served = [supporter.claim_peer_bundle(peer.room_id)[1] for _ in range(12)]
        assert all(bundle.one_time_prekey is not None for bundle in served)


def test_two_browsers_complete_a_conversation(world: World, new_page: NewPage) -> None:
    supporter, clinician = new_page(), new_page()
    register(supporter, world.invite(Role.SUPPORTER, "b"), passphrase="a long passphrase")
    save_profile(supporter, years=15, stage="senior", topics=["adverse-event"])
    expect(supporter.get_by_role("switch")).to_have_attribute("aria-checked", "true")
    # The passphrase is needed again after a reload.
    supporter.reload()
    supporter.get_by_label("Passphrase").fill("not the passphrase")
    supporter.get_by_role("button", name="Unlock").click()
    expect(supporter.get_by_role("alert")).to_contain_text("does not open the keys")
    supporter.get_by_label("Passphrase").fill("a long passphrase")
    supporter.get_by_role("button", name="Unlock").click()
    expect(supporter.get_by_role("heading", name="Supporter inbox")).to_be_visible()

    register(clinician, world.invite(Role.CLINICIAN, "a"))
    save_profile(clinician, years=3, stage="resident")
    ask_for_support(clinician, "An adverse event")

    offer = supporter.locator(".offer")
    expect(offer).to_be_visible(timeout=15_000)  # the relay's `notify` refreshes the inbox
    expect(offer).to_contain_text("adverse event", ignore_case=True)
    screenshot(supporter, "inbox")
    offer.get_by_role("button", name="Accept").click()
    expect(supporter.get_by_role("heading", name=re.compile("^Talking with "))).to_be_visible()
    expect(clinician.get_by_role("heading", name=re.compile("^Talking with "))).to_be_visible(
        timeout=15_000
    )

    send(clinician, "Thank you for taking this.")
    expect(supporter.locator(".message.theirs .text")).to_have_text("Thank you for taking this.")
    expect(clinician.locator(".message.mine .state")).to_have_attribute("data-state", "delivered")
    send(supporter, "Of course. What happened?")
    expect(clinician.locator(".message.theirs .text")).to_have_text("Of course. What happened?")
    screenshot(supporter, "room-supporter")

    numbers = [open_safety_number(p) for p in (clinician, supporter)]
    assert numbers[0] == numbers[1]
    for p in (clinician, supporter):
        p.get_by_role("button", name="Close").click()

    supporter.get_by_role("button", name="More options").click()
    supporter.get_by_role("button", name="End conversation").click()
    supporter.get_by_role("dialog").get_by_role("button", name="End conversation").click()
    expect(supporter.get_by_text("This conversation has ended.")).to_be_visible()
    expect(clinician.get_by_text("This conversation has ended.")).to_be_visible(timeout=15_000)
    expect(clinician.get_by_label("Message", exact=True)).to_be_disabled()


def test_dropped_connection_reconnects_and_catches_up(
    world: World, tmp_path: Path, new_page: NewPage
) -> None:
    page = new_page()
    state: dict[str, Any] = {"offline": False, "open": []}

    def route(ws: Any) -> None:
        if state["offline"]:
            ws.close(code=4000, reason="offline")
            return
        server = ws.connect_to_server()
        state["open"].append((ws, server))

    page.route_web_socket(re.compile(r".*/ws$"), route)
    with clinician_in_room(world, tmp_path, page) as peer:
        send(page, "before the drop")
        assert peer.receive_text() == "before the drop"

        state["offline"] = True
        for ws, server in state["open"]:
            ws.close(code=4000, reason="dropped")
            server.close()
        state["open"].clear()
        expect(page.locator("#connection")).to_have_text("Reconnecting…")
        screenshot(page, "reconnecting")
        peer.send_text("missed one")
        peer.send_text("missed two")
        page.get_by_label("Message", exact=True).fill("typed while offline")
        page.get_by_label("Message", exact=True).press("Enter")
        expect(page.locator(".message.mine .state").last).to_have_attribute("data-state", "sending")

        state["offline"] = False
        expect(page.locator("#connection")).to_have_text("Connected", timeout=20_000)
        expect(page.locator(".message.theirs .text")).to_have_text(["missed one", "missed two"])
        assert peer.receive_text() == "typed while offline"
        expect(page.locator(".message.mine .state").last).not_to_have_attribute(
            "data-state", "sending"
        )
        page.get_by_role("button", name="More options").click()
        page.get_by_role("button", name="End conversation").click()
        page.get_by_role("dialog").get_by_role("button", name="End conversation").click()
        expect(page.get_by_text("This conversation has ended.")).to_be_visible()
        assert peer.side.client.room(peer.room_id)["status"] == "closed"


def test_a_changed_peer_key_is_refused_and_must_be_acknowledged(
    world: World, tmp_path: Path, new_page: NewPage
) -> None:
    page = new_page()
    with clinician_in_room(world, tmp_path, page) as peer:
        send(page, "hello")
        assert peer.receive_text() == "hello"
        peer.send_text("I am here.")
        expect(page.locator(".message.theirs .text")).to_have_text(["I am here."])
        before = open_safety_number(page)
        expect(page.get_by_test_id("verification")).to_have_text("Not verified yet.")
        page.get_by_role("button", name="Mark as verified").click()
        expect(page.get_by_test_id("verified")).to_be_visible()

        # The server relays a handshake of its own under the supporter's member id.
        forged = peer.impostor()
        peer.send_text("it is me, on a new phone", session=forged)
        alert = page.get_by_role("alert").filter(has_text="security key")
        expect(alert).to_be_visible()
        expect(alert).to_contain_text("Verify the safety number again")
        screenshot(page, "key-changed")
        expect(page.get_by_label("Message", exact=True)).to_be_disabled()
        expect(page.get_by_test_id("verified")).to_be_hidden()
        expect(page.locator(".message.theirs .text")).to_have_text(["I am here."])  # not shown
        # It stays until the user answers, across a reload.
        page.reload()
        expect(page.get_by_role("alert").filter(has_text="security key")).to_be_visible()
        page.get_by_role("alert").get_by_role("button", name="Show safety number").click()
        assert page.get_by_test_id("safety-number").inner_text() == before
        page.get_by_role("dialog").get_by_role("button", name="Close").click()

        page.get_by_role("button", name="Continue with the new key").click()
        expect(page.get_by_role("alert").filter(has_text="security key")).to_be_hidden()
        expect(page.get_by_label("Message", exact=True)).to_be_enabled()
        peer.send_text("and now?", session=forged)
        expect(page.locator(".message.theirs .text")).to_have_text(["I am here.", "and now?"])
        after = open_safety_number(page)
        assert after != before
        expect(page.get_by_test_id("verification")).to_have_text("Not verified yet.")
        page.get_by_role("dialog").get_by_role("button", name="Close").click()


@pytest.mark.parametrize("path", ["/", "/static/app/main.js", "/static/vendor/libsodium-sumo.mjs"])
def test_served_with_strict_headers(world: World, path: str) -> None:
    response = world.client.get(path)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    if path == "/":
        csp = response.headers["content-security-policy"]
        for directive in ("default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'",
                          "'wasm-unsafe-eval'", "'sha256-"):  # fmt: skip
            assert directive in csp
        assert "unsafe-inline" not in csp
    else:
        assert response.headers["content-type"].startswith("text/javascript")


def test_no_supporter_available_is_said_plainly_with_crisis_lines(
    world: World, new_page: NewPage
) -> None:
    page = new_page()
    register(page, world.invite(Role.CLINICIAN, "a"))
    save_profile(page, years=8, stage="mid-career")
    ask_for_support(page, "Burnout")
    expect(page.get_by_role("heading", name="No supporter is available right now")).to_be_visible()
    expect(page.locator(".crisis-inline")).to_contain_text("988")
    screenshot(page, "unavailable")
    # One tap from any screen: the header's button opens the deployment's crisis lines.
    page.get_by_role("button", name="Crisis help").click()
    dialog = page.get_by_role("dialog", name="Get help now")
    expect(dialog).to_contain_text("Physician Support Line")
    expect(dialog.get_by_role("link", name="988", exact=True)).to_have_attribute("href", "tel:988")
    screenshot(page, "crisis")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
