"""Every main screen, as a new clinician and a new supporter meet them: axe-core finds no
critical or serious violation, every tap target is at least 44x44 CSS px, and a screenshot of
each is written for a phone (390x844) and a desktop (1280x800) to test-artifacts/screenshots/.
On the way: "Keep looking for me" keeps a request open until a supporter becomes available."""

from __future__ import annotations

import re
from typing import Any

from server.accounts.roles import Role
from tests.e2e.a11y import axe_violations, check_screen, small_tap_targets
from tests.e2e.browser import expect, register, save_profile, send
from tests.world import World


def test_every_screen_passes_axe_and_tap_targets(world: World, new_page: Any) -> None:
    supporter, clinician = new_page(), new_page()

    clinician.goto("/")
    expect(clinician.get_by_role("heading", name="Welcome to Peerhaven")).to_be_visible()
    check_screen(clinician, "welcome")
    # The checks can fail: a nameless, tiny button is caught by both.
    clinician.evaluate("""() => {
        const b = document.createElement('button');
        b.id = 'bad'; b.style.width = '20px'; b.style.height = '20px'; b.style.minHeight = '0';
        document.querySelector('main').append(b);
    }""")
    assert [v["id"] for v in axe_violations(clinician)] == ["button-name"]
    assert any(t.startswith('button "bad"') for t in small_tap_targets(clinician))
    clinician.evaluate("() => document.getElementById('bad').remove()")

    register(supporter, world.invite(Role.SUPPORTER, "b"), passphrase="a long passphrase")
    check_screen(supporter, "profile-supporter")
    save_profile(supporter, years=15, stage="senior", topics=["adverse-event"])
    expect(supporter.get_by_role("switch")).to_have_attribute("aria-checked", "true")
    check_screen(supporter, "home-supporter")
    supporter.reload()
    expect(supporter.get_by_role("heading", name="Unlock Peerhaven")).to_be_visible()
    check_screen(supporter, "unlock")
    supporter.get_by_label("Passphrase").fill("a long passphrase")
    supporter.get_by_role("button", name="Unlock").click()
    expect(supporter.get_by_role("heading", name="Supporter inbox")).to_be_visible()
    supporter.get_by_role("switch").click()  # away: nobody can be matched
    expect(supporter.get_by_role("switch")).to_have_attribute("aria-checked", "false")

    register(clinician, world.invite(Role.CLINICIAN, "a"))
    check_screen(clinician, "profile")
    save_profile(clinician, years=3, stage="resident")
    check_screen(clinician, "home-clinician")
    clinician.get_by_role("button", name="Crisis help").click()
    expect(clinician.get_by_role("dialog", name="Get help now")).to_be_visible()
    check_screen(clinician, "crisis")
    clinician.keyboard.press("Escape")

    clinician.get_by_label("An adverse event").check()
    clinician.get_by_role("button", name="Ask for support").click()
    expect(clinician.get_by_role("heading", name="No supporter is available right now")) \
        .to_be_visible()  # fmt: skip
    check_screen(clinician, "unavailable")
    clinician.get_by_role("button", name="Keep looking for me").click()
    expect(clinician.get_by_role("heading", name="We are keeping your request open")) \
        .to_be_visible()  # fmt: skip
    expect(clinician.locator(".crisis-inline")).to_contain_text("988")
    check_screen(clinician, "keep-looking")

    # The supporter comes back: the waiting request is offered at once.
    supporter.get_by_role("switch").click()
    offer = supporter.locator(".offer")
    expect(offer).to_be_visible()
    expect(clinician.get_by_role("heading", name="A supporter has been asked")).to_be_visible()
    check_screen(clinician, "waiting")
    check_screen(supporter, "inbox")
    offer.get_by_role("button", name="Accept").click()
    expect(supporter.get_by_role("heading", name=re.compile("^Talking with "))).to_be_visible()
    expect(clinician.get_by_role("heading", name=re.compile("^Talking with "))).to_be_visible()

    send(clinician, "Thank you for taking this.")
    send(supporter, "Of course. What happened?")
    expect(clinician.locator(".message.theirs .text")).to_have_text("Of course. What happened?")
    check_screen(clinician, "room")
    clinician.get_by_role("button", name="More options").click()
    check_screen(clinician, "room-options")
    clinician.keyboard.press("Escape")
    supporter.get_by_role("button", name="Safety number").click()
    expect(supporter.get_by_test_id("safety-number")).to_be_visible()
    check_screen(supporter, "safety-number")
    supporter.get_by_role("button", name="Close").click()

    clinician.get_by_role("button", name="More options").click()
    clinician.get_by_role("button", name="End conversation").click()
    clinician.get_by_role("dialog").get_by_role("button", name="End conversation").click()
    expect(clinician.get_by_role("heading", name="This conversation has ended.")).to_be_visible()
    check_screen(clinician, "room-closed")
    expect(supporter.get_by_role("heading", name="This conversation has ended.")).to_be_visible()

    # The same screens speak Spanish.
    clinician.get_by_role("link", name="Back to start").click()
    clinician.get_by_label("Language").select_option("es")
    expect(clinician.get_by_role("heading", name="Pedir apoyo")).to_be_visible()
    expect(clinician.get_by_role("button", name="Ayuda en crisis")).to_be_visible()
    check_screen(clinician, "home-es")
