"""Moderation in the browser, end to end: a clinician reports from the room (crisis, a revealed
message, a note) and sees where to get help at once; a moderator's console, in another browser,
shows the flag live, decrypts the report on the device, marks the franked message verified,
and opens a private room with the member. The server stores none of the reported text."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.accounts.roles import Role
from tests.e2e.browser import expect
from tests.e2e.conftest import screenshot
from tests.e2e.test_chat import clinician_in_room
from tests.integration.canary import leaks
from tests.world import World

NewPage = Callable[[], Any]


def register_moderator(page: Any, invite_code: str) -> None:
    page.goto("/")
    page.get_by_label("Invite code").fill(invite_code)
    page.get_by_label("I understand that clearing site data deletes my identity.").check()
    page.get_by_role("button", name="Create my identity").click()
    expect(page.get_by_role("heading", name="Moderation")).to_be_visible()


def test_member_reports_and_moderator_verifies_and_opens_a_private_room(
    world: World, tmp_path: Path, new_page: NewPage
) -> None:
    moderator = new_page()
    register_moderator(moderator, world.invite(Role.MODERATOR, "a"))
    moderator.get_by_label("On duty").check()
    expect(moderator.get_by_text("On duty (primary tier)")).to_be_visible()

    clinician = new_page()
    canary = f"canary-{uuid.uuid4().hex}"
    with clinician_in_room(world, tmp_path, clinician) as peer:
        peer.send_text(f"I do not see the point any more {canary}")
        expect(clinician.locator(".message.theirs .text")).to_contain_text(canary)
        clinician.get_by_role("button", name="Get help / report").click()
        dialog = clinician.get_by_role("dialog")
        expect(dialog.get_by_text("If someone is in danger now:")).to_be_visible()
        dialog.get_by_label(re.compile("worried someone may hurt themselves")).check()
        dialog.get_by_label(re.compile("Note for the moderator")).fill(f"please help {canary}")
        dialog.get_by_label(re.compile("I do not see the point")).check()
        screenshot(clinician, "report-dialog")
        dialog.get_by_role("button", name="Send to a moderator").click()
        expect(dialog.get_by_test_id("crisis-tiers")).to_be_visible()
        expect(dialog.get_by_text("Crisis line:")).to_be_visible()
        screenshot(clinician, "report-sent")
        dialog.get_by_role("button", name="Close").click()

        # The moderator's console got it live (no reload), at the top, with its countdown.
        flag = moderator.get_by_test_id("queue").locator("li.flag").first
        expect(flag).to_contain_text("Crisis")
        expect(flag.locator(".countdown")).to_contain_text("to acknowledge")
        screenshot(moderator, "moderator-queue")
        flag.get_by_role("button").click()
        moderator.get_by_role("button", name="Claim", exact=True).click()
        expect(moderator.get_by_text(f"please help {canary}")).to_be_visible()
        revealed = moderator.locator(".revealed .message")
        expect(revealed).to_contain_text(canary)
        expect(revealed.get_by_test_id("verified")).to_be_visible()
        moderator.get_by_role("button", name="Acknowledge", exact=True).click()
        expect(moderator.get_by_role("button", name="Resolve", exact=True)).to_be_visible()
        screenshot(moderator, "moderator-report")

        moderator.get_by_role("button", name="Talk privately").click()
        expect(moderator.get_by_role("heading", name=re.compile("^Talking with "))).to_be_visible()
        rooms = [r for r in peer.side.client.rooms() if r["kind"] == "moderation"]
        assert rooms == []  # the supporter (the reported peer) is not in it
    # The clinician's account is in a private room with "Moderator".
    clinician.goto("/#/home")
    expect(clinician.get_by_text("Moderator").first).to_be_visible()

    stored = b"".join(
        path.read_bytes() for path in world.server.settings.data_dir.rglob("*") if path.is_file()
    )
    assert leaks(stored, canary) == [], "reported text reached the server's storage"
