"""How the server hands out the browser client: the entry page's policy and headers, static files
with the right media types, and nothing outside the served folders."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from server.api.routes.web import WEB_DIR, content_security_policy, inline_script_hashes
from tests.world import World


def test_the_policy_names_the_import_map_by_its_hash(world: World) -> None:
    html = (WEB_DIR / "index.html").read_text()
    (import_map,) = re.findall(r'<script type="importmap">(.*?)</script>', html, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
    assert inline_script_hashes(html) == [f"'sha256-{digest}'"]
    csp = world.client.get("/").headers["content-security-policy"]
    assert f"'sha256-{digest}'" in csp
    port = world.server.base_url.rsplit(":", 1)[1]
    assert f"connect-src 'self' ws://127.0.0.1:{port};" in csp


def test_policy_for_https_uses_wss() -> None:
    csp = content_security_policy(script_hashes=[], origin="https://peers.example.org")
    assert "connect-src 'self' wss://peers.example.org;" in csp
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp


def test_inline_scripts_with_src_are_not_hashed() -> None:
    html = '<script src="/static/app/main.js"></script><script>let a = 1;</script>'
    assert len(inline_script_hashes(html)) == 1


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/static/app/main.js", "text/javascript"),
        ("/static/js/protocol/index.js", "text/javascript"),
        ("/static/vendor/libsodium-wrappers.mjs", "text/javascript"),
        ("/static/css/app.css", "text/css"),
        ("/static/img/icon.svg", "image/svg+xml"),
    ],
)
def test_static_files_have_their_media_types(world: World, path: str, media_type: str) -> None:
    response = world.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"
    relative = path.removeprefix("/static/")
    assert response.content == (WEB_DIR / Path(relative)).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/static/tests/vectors.test.mjs",  # not a served folder
        "/static/README.md",
        "/static/app/../../server/config.py",
        "/static/app/%2e%2e/%2e%2e/pyproject.toml",
        "/static/js/protocol/../../tests/support/hooks.mjs",
        "/static/vendor/refresh.sh",  # not a served media type
        "/static/app/missing.js",
        "/static/.hidden.js",
    ],
)
def test_nothing_else_is_served(world: World, path: str) -> None:
    assert world.client.get(path).status_code == 404


def test_crisis_resources_are_public(world: World) -> None:
    response = world.client.get("/api/v1/crisis-resources")
    assert response.status_code == 200
    resources = response.json()["resources"]
    assert resources == list(world.server.settings.crisis_resources)
    assert any("988" in line for line in resources)
