"""The chat on a phone, as people expect from the messengers they use every day: the list follows
the newest message and shows a "New messages" pill when scrolled up; offline is visible within
2 s and pending messages say they wait, then go out by themselves; unread counts and the tab
title badge; on a touch keyboard Enter makes a new line and Send sends; day separators; quick
exit leaves for a neutral page and locks the vault."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.e2e.browser import expect
from tests.e2e.conftest import PHONE, PageProblems, screenshot
from tests.e2e.test_chat import clinician_in_room
from tests.world import World

MESSAGE = "Message"


def _at_bottom(page: Any) -> bool:
    at: bool = page.locator(".log-scroll").evaluate(
        "(el) => el.scrollHeight - el.scrollTop - el.clientHeight <= 48"
    )
    return at


def test_follow_pill_offline_and_unread(world: World, tmp_path: Path, new_page: Any) -> None:
    page = new_page()
    sockets: dict[str, Any] = {"down": False, "open": []}

    def route(ws: Any) -> None:
        if sockets["down"]:
            ws.close(code=4000, reason="offline")
            return
        sockets["open"].append((ws, ws.connect_to_server()))

    page.route_web_socket(re.compile(r".*/ws$"), route)
    with clinician_in_room(world, tmp_path, page) as peer:
        # The header and composer stay put while the list scrolls and follows.
        for i in range(20):
            peer.send_text(f"line {i} of a long story")
        expect(page.locator(".message.theirs .text").last).to_have_text("line 19 of a long story")
        composer = page.get_by_role("button", name="Send")
        expect(composer).to_be_in_viewport()
        expect(page.get_by_role("heading", name=re.compile("^Talking with "))).to_be_in_viewport()
        assert _at_bottom(page)
        expect(page.locator(".log .day")).to_have_text(["Today"])

        page.locator(".log-scroll").evaluate("(el) => { el.scrollTop = 0; }")
        peer.send_text("one more while you read back")
        pill = page.get_by_role("button", name="New messages")
        expect(pill).to_be_visible()
        assert not _at_bottom(page)
        screenshot(page, "room-new-messages")
        pill.click()
        expect(pill).to_be_hidden()
        expect(page.locator(".message.theirs .text").last).to_be_in_viewport()

        # Offline: said within 2 s, the pending message says it waits, and goes out later.
        sockets["down"] = True
        page.context.set_offline(True)
        for ws, server in sockets["open"]:
            ws.close(code=4000, reason="dropped")
            server.close()
        sockets["open"].clear()
        offline = page.locator(".offline")
        expect(offline).to_have_text(
            "Offline — your messages will be sent when you\u2019re back", timeout=2_000
        )
        expect(page.locator("#connection")).to_have_text("Offline", timeout=2_000)
        page.get_by_label(MESSAGE, exact=True).fill("written in the tunnel")
        page.get_by_role("button", name="Send").click()
        state = page.locator(".message.mine .state").last
        expect(state).to_have_text(" · Waiting for connection")
        screenshot(page, "room-offline")
        sockets["down"] = False
        page.context.set_offline(False)
        expect(offline).to_be_hidden(timeout=20_000)
        assert peer.receive_text() == "written in the tunnel"
        expect(state).not_to_have_attribute("data-state", "sending")

        # Away from the room: unread count on home and a badge in the tab title.
        page.get_by_role("link", name="All conversations").click()
        expect(page.get_by_role("heading", name="Peerhaven")).to_be_visible()
        peer.send_text("are you still there?")
        peer.send_text("no rush")
        expect(page.get_by_test_id("unread")).to_have_text("2")
        expect(page).to_have_title(re.compile(r"^\(2\) Home · Peerhaven$"))
        screenshot(page, "home-unread")
        page.locator(".rooms a").first.click()
        expect(page.locator(".message.theirs .text").last).to_have_text("no rush")
        expect(page).to_have_title(re.compile(r"^Conversation with .* · Peerhaven$"))


def test_touch_keyboard_composer_and_quick_exit(browser: Any, world: World, tmp_path: Path) -> None:
    context = browser.new_context(viewport=PHONE, base_url=world.server.base_url,
                                  has_touch=True, is_mobile=True)  # fmt: skip
    problems = PageProblems()
    try:
        page = context.new_page()
        problems.watch(page)
        with clinician_in_room(world, tmp_path, page) as peer:
            box = page.get_by_label(MESSAGE, exact=True)
            expect(box).to_have_attribute("placeholder", "Write a message")
            box.click()
            box.press_sequentially("first line")
            box.press("Enter")  # a new line, not a send
            box.press_sequentially("second line")
            expect(box).to_have_value("first line\nsecond line")
            expect(page.locator(".message.mine")).to_have_count(0)
            page.get_by_role("button", name="Send").tap()
            expect(page.locator(".message.mine .text")).to_have_text("first line\nsecond line")
            assert peer.receive_text() == "first line\nsecond line"
            screenshot(page, "room-touch")

            page.get_by_role("button", name=re.compile("^Quick exit")).tap()
            page.wait_for_url("about:blank")
            assert page.title() == ""
        assert not problems.errors, problems.errors
    finally:
        context.close()
