"""Check-ins in a real Chromium: a clinician links their staff identifier, the institution's
incident system reports an event, the private check-in card appears, "Talk to a peer" becomes a
matched conversation; and the institution admin's screens (invites, credentials, dashboard).

Screenshots go to test-artifacts/screenshots/ (checkin-card, admin).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.accounts.roles import Role
from tests.devices import Device
from tests.e2e.a11y import check_screen
from tests.e2e.browser import expect, register, save_profile
from tests.e2e.conftest import screenshot
from tests.e2e.test_chat import python_supporter
from tests.integration.checkins.conftest import new_credential
from tests.integration.checkins.intake import make_event, post_signed
from tests.live import serve
from tests.world import World, make_settings, seed_world

NewPage = Callable[[], Any]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The e2e world with check-ins offered at once (no 2 h delay) by a quick sweeper."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'peerhaven.db'}"
    (tmp_path / "var").mkdir()
    settings = make_settings(url, tmp_path / "var", checkin_delay_seconds=0,
                             checkin_sweep_seconds=0.1)  # fmt: skip
    with serve(settings) as server, server.client() as client:
        built = World(server=server, client=client)
        seed_world(built)
        yield built


def test_a_checkin_offer_becomes_a_matched_conversation(
    world: World, tmp_path: Path, new_page: NewPage
) -> None:
    supporter = python_supporter(world, tmp_path)
    page = new_page()
    register(page, world.invite(Role.CLINICIAN, "a"))
    save_profile(page, years=4, stage="resident")
    expect(page.get_by_text("Check-ins are off.")).to_be_visible()
    page.get_by_text("Check-in settings").click()
    page.get_by_label("Staff identifier").fill("RGH-1001")
    page.get_by_role("button", name="Receive check-ins").click()
    expect(page.get_by_text("You receive check-ins after events")).to_be_visible()

    admin = Device()
    admin.register(world.client, world.invite(Role.INSTITUTION_ADMIN, "a"),
                   world.server.settings.origin)  # fmt: skip
    admin.login(world.client)
    credential = new_credential(world, admin)
    reported = post_signed(world.client, credential, make_event("INC-1", "RGH-1001", "RGH-4040"))
    assert reported.status_code == 202

    card = page.get_by_role("listitem").filter(has_text="A check-in, just for you")
    expect(card).to_be_visible()
    expect(
        card.get_by_text("After the event your institution reported on 12 March")
    ).to_be_visible()
    screenshot(page, "checkin-card")
    card.get_by_role("button", name="Talk to a peer").click()
    expect(page.get_by_role("heading", name="A supporter has been asked")).to_be_visible()
    (offer,) = supporter.client.offers()
    assert offer["topics"] == ["adverse-event"]
    room = supporter.client.accept_offer(offer["id"])
    supporter.client.join_room(room["id"])
    expect(page.get_by_role("heading", name=re.compile("^Talking with "))).to_be_visible()
    supporter.client.close()


def test_the_institution_admin_screens(world: World, new_page: NewPage) -> None:
    page = new_page()
    page.goto("/")
    page.get_by_label("Invite code").fill(world.invite(Role.INSTITUTION_ADMIN, "a"))
    page.get_by_label("I understand that clearing site data deletes my identity.").check()
    page.get_by_role("button", name="Create my identity").click()
    expect(page.get_by_role("heading", name="Institution a")).to_be_visible()

    dashboard = page.get_by_role("region", name="Check-ins dashboard")
    expect(dashboard.get_by_role("img", name="Events received, last 12 months")).to_be_visible()
    assert page.locator("svg.chart rect").count() == 12
    dashboard.get_by_text("All counts").click()
    expect(dashboard.get_by_role("cell", name="fewer than 5").first).to_be_visible()

    invites = page.get_by_role("region", name="Invites")
    invites.get_by_label("Role").select_option("clinician")
    invites.get_by_role("button", name="Create invite").click()
    code = invites.get_by_test_id("invite-code")
    expect(code).to_have_text(re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$"))
    invites.get_by_role("button", name=re.compile("^Revoke invite: Clinician")).click()
    expect(invites.get_by_role("cell", name="Revoked", exact=True)).to_be_visible()

    credentials = page.get_by_role("region", name="Integration credentials")
    credentials.get_by_label("Label").fill("RL6 incident reporting")
    credentials.get_by_role("button", name="Create credential").click()
    expect(credentials.get_by_test_id("credential-secret")).to_have_text(re.compile("^phs_"))
    expect(credentials.get_by_role("cell", name="active")).to_be_visible()
    screenshot(page, "admin")
    check_screen(page, "admin-institution")
    credentials.get_by_role("button", name="Revoke RL6 incident reporting").click()
    expect(credentials.get_by_role("cell", name="revoked")).to_be_visible()
