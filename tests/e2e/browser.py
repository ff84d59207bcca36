"""What a person does in the browser, step by step (Playwright, sync API)."""

from __future__ import annotations

from typing import Any

__all__ = ["ask_for_support", "expect", "open_safety_number", "register", "save_profile", "send"]


def expect(target: Any) -> Any:
    """Playwright's `expect`, imported only when a test runs: without Playwright the `browser`
    fixture skips (or fails on CI) instead of the collection failing."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def register(page: Any, invite_code: str, *, passphrase: str | None = None) -> None:
    page.goto("/")
    page.get_by_label("Invite code").fill(invite_code)
    if passphrase:
        page.get_by_text("Add a passphrase (optional)").click()
        page.get_by_label("Passphrase", exact=True).fill(passphrase)
        page.get_by_label("Passphrase again").fill(passphrase)
    page.get_by_label("I understand that clearing site data deletes my identity.").check()
    page.get_by_role("button", name="Create my identity").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()


def save_profile(page: Any, *, years: int, stage: str, topics: list[str] = ()) -> None:  # type: ignore[assignment]
    page.get_by_label("Specialty").select_option("207P00000X")
    page.get_by_label("Years of clinical experience").fill(str(years))
    page.get_by_label("Career stage").select_option(stage)
    page.get_by_role("group", name="Languages you can talk in").get_by_label("English").check()
    for topic in topics:
        page.locator(f"#exp-{topic}").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("heading", name="Peerhaven", level=1)).to_be_visible()


def ask_for_support(page: Any, topic_label: str) -> None:
    page.get_by_label(topic_label).check()
    page.get_by_role("button", name="Ask for support").click()


def send(page: Any, text: str) -> None:
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator(".message.mine .text", has_text=text)).to_be_visible()


def open_safety_number(page: Any) -> str:
    page.get_by_role("button", name="Safety number").click()
    number: str = page.get_by_test_id("safety-number").inner_text()
    return number
