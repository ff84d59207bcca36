"""The SDK signs its own configured origin, never the one a challenge names (issue 12, item 3).

A host that relays to the real server (a phishing proxy) answers challenges with the real
server's origin; signing it would hand over a login that works at the real server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from client import KeyFolder, Peerhaven
from client.api import origin_of
from client.errors import OriginMismatch
from crypto import verify_signature
from crypto.encoding import b64decode, b64encode
from crypto.primitives import ARGON2ID_MEMLIMIT_MIN, ARGON2ID_OPSLIMIT_MIN
from crypto.statements import login_statement, registration_statement

BASE = "http://peerhaven.test:8000"
NONCE = b64encode(b"n" * 32)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("HTTPS://Peerhaven.Example/app/", "https://peerhaven.example"),
        ("https://peerhaven.example:443", "https://peerhaven.example"),
        ("http://peerhaven.example:80/", "http://peerhaven.example"),
        ("https://peerhaven.example:8443/x?y", "https://peerhaven.example:8443"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_origin_is_normalised_as_a_browser_serialises_it(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize("url", ["ftp://peerhaven.example", "/relative", "peerhaven.example"])
def test_origin_needs_an_absolute_http_url(url: str) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        origin_of(url)


class FakeServer:
    """Answers the auth endpoints; records every request body."""

    def __init__(self, challenge_origin: str) -> None:
        self.challenge_origin = challenge_origin
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        self.requests.append((request.url.path, body))
        if request.url.path == "/api/v1/auth/challenges":
            return httpx.Response(
                201,
                json={"challenge_id": "c1", "nonce": NONCE, "origin": self.challenge_origin},
            )
        if request.url.path == "/api/v1/auth/tokens":
            return httpx.Response(201, json={"token": "t", "me": {"account_id": "a"}})
        if request.url.path == "/api/v1/accounts":
            return httpx.Response(201, json={"account_id": "a"})
        return httpx.Response(404)


def client_for(tmp_path: Path, server: FakeServer, base: str = BASE) -> Peerhaven:
    keys = KeyFolder(tmp_path / "keys", "a passphrase", opslimit=ARGON2ID_OPSLIMIT_MIN,
                     memlimit=ARGON2ID_MEMLIMIT_MIN)  # fmt: skip
    http = httpx.Client(base_url=base, transport=httpx.MockTransport(server))
    return Peerhaven(base, keys=keys, http=http)


@pytest.mark.parametrize("claimed", ["https://peerhaven.example", f"{BASE}/", "", None])
def test_login_refuses_a_challenge_for_another_origin_and_signs_nothing(
    tmp_path: Path, claimed: str | None
) -> None:
    server = FakeServer(claimed)  # type: ignore[arg-type]
    with client_for(tmp_path, server) as client, pytest.raises(OriginMismatch) as caught:
        client.login()
    assert [path for path, _ in server.requests] == ["/api/v1/auth/challenges"]
    assert "https://peerhaven.example" not in str(caught.value)


def test_registration_refuses_a_challenge_for_another_origin(tmp_path: Path) -> None:
    server = FakeServer("https://peerhaven.example")
    with client_for(tmp_path, server) as client, pytest.raises(OriginMismatch):
        client.register("INVITE-CODE")
    assert [path for path, _ in server.requests] == ["/api/v1/auth/challenges"]


def test_login_and_registration_sign_the_configured_origin(tmp_path: Path) -> None:
    server = FakeServer("http://peerhaven.test:8000")
    base = "HTTP://PeerHaven.test:8000/"  # the same origin, spelt otherwise
    with client_for(tmp_path, server, base) as client:
        client.register("INVITE-CODE")
        client.login()
        key = client.device.public_key
    (_, registration), (_, login) = server.requests[1], server.requests[3]
    verify_signature(
        key,
        registration_statement(origin=BASE, invite_code="INVITE-CODE", identity_key=key),
        b64decode(registration["signature"], field="signature", max_length=64),
    )
    verify_signature(
        key,
        login_statement(
            origin=BASE, nonce=b64decode(NONCE, field="nonce", max_length=64), identity_key=key
        ),
        b64decode(login["signature"], field="signature", max_length=64),
    )


def test_an_explicit_registration_origin_must_be_the_configured_one(tmp_path: Path) -> None:
    server = FakeServer(BASE)
    with client_for(tmp_path, server) as client, pytest.raises(OriginMismatch):
        client.register("INVITE-CODE", origin="https://peerhaven.example")
    assert server.requests == []


def test_a_public_origin_can_be_configured_for_an_internal_address(tmp_path: Path) -> None:
    server = FakeServer("https://peerhaven.example")
    keys = KeyFolder(tmp_path / "keys", "a passphrase", opslimit=ARGON2ID_OPSLIMIT_MIN,
                     memlimit=ARGON2ID_MEMLIMIT_MIN)  # fmt: skip
    http = httpx.Client(base_url="http://10.0.0.7:8000", transport=httpx.MockTransport(server))
    with Peerhaven("http://10.0.0.7:8000", keys=keys, http=http,
                   origin="https://peerhaven.example/") as client:  # fmt: skip
        client.login()
        assert client.origin == "https://peerhaven.example"
