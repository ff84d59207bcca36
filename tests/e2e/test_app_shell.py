"""The installable app: the manifest and the service worker are served with the right headers,
the worker caches the app shell so a reload with no network still opens the app and shows the
crisis lines, and a push delivered to the worker (CDP `ServiceWorker.deliverPushMessage`) shows
the worker's own content-free notice."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from server.accounts.roles import Role
from tests.e2e.browser import expect, register
from tests.e2e.conftest import screenshot
from tests.world import World


def test_manifest_and_worker_are_served_with_their_headers(world: World) -> None:
    manifest = world.client.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["display"] == "standalone" and body["start_url"].startswith("/")
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert world.client.get(icon["src"]).status_code == 200

    worker = world.client.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache"  # a new version installs at once
    assert worker.headers["x-content-type-options"] == "nosniff"
    assert worker.headers["content-security-policy"].startswith("default-src 'none'")
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", worker.text).group(1))
    assert "/static/app/main.js" in shell and "/static/vendor/libsodium-sumo.mjs" in shell
    for path in shell:
        assert world.client.get(path).status_code == 200, path
    page_csp = world.client.get("/").headers["content-security-policy"]
    assert "manifest-src 'self'" in page_csp


def _worker_ready(page: Any) -> None:
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)


def test_offline_the_app_opens_and_shows_the_crisis_lines(world: World, new_page: Any) -> None:
    page = new_page()
    register(page, world.invite(Role.CLINICIAN, "a"))
    _worker_ready(page)
    page.context.set_offline(True)
    try:
        page.reload()
        expect(page.get_by_role("heading", name="Cannot reach Peerhaven")).to_be_visible()
        lines = page.locator(".crisis-inline")
        expect(lines).to_contain_text("988")
        call = lines.get_by_role("link", name="988", exact=True)
        expect(call).to_have_attribute("href", "tel:988")
        expect(lines.get_by_role("link", name="text 988")).to_have_attribute("href", "sms:988")
        screenshot(page, "offline")
        page.get_by_role("button", name="Crisis help").click()
        expect(page.locator("#crisis-list")).to_contain_text("Physician Support Line")
    finally:
        page.context.set_offline(False)


def test_a_push_shows_the_workers_own_notice(world: World, new_page: Any) -> None:
    page = new_page()
    context = page.context
    context.grant_permissions(["notifications"], origin=world.server.base_url)
    register(page, world.invite(Role.CLINICIAN, "a"))
    _worker_ready(page)

    cdp = context.new_cdp_session(page)
    origin = world.server.base_url
    registrations: list[str] = []

    def seen(event: dict[str, Any]) -> None:
        found = event["registrations"]
        registrations.extend(r["registrationId"] for r in found if r["scopeURL"].startswith(origin))

    cdp.on("ServiceWorker.workerRegistrationUpdated", seen)
    cdp.send("ServiceWorker.enable")
    _wait_until(page, lambda: bool(registrations))
    # No Peerhaven window may be visible, or the worker leaves the telling to the page.
    page.goto("about:blank")
    # Whatever the server might send, the notice is the worker's own fixed text.
    data = json.dumps({"kind": "offer", "body": "a secret the lock screen must not show"})
    push = {"origin": origin, "registrationId": registrations[0], "data": data}
    cdp.send("ServiceWorker.deliverPushMessage", push)
    shown: list[dict[str, str]] = []

    def notified() -> bool:
        # The worker may have been restarted to handle the push: ask the current one.
        for worker in context.service_workers:
            try:
                shown[:] = worker.evaluate(NOTIFICATIONS)
            except Exception:  # a worker that just stopped
                continue
            if shown:
                return True
        return False

    _wait_until(page, notified)
    assert shown == [{"title": "Peerhaven", "body": "You have a new request for support"}]


NOTIFICATIONS = """async () => (await self.registration.getNotifications())
    .map((n) => ({ title: n.title, body: n.body }))"""


def _wait_until(page: Any, condition: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)
