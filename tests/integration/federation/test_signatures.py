"""Signed server-to-server requests between two live nodes: every bad class is refused with
problem details and changes nothing. The target is node B's handshake route, for a peering B
allows but has not confirmed: a request that got through would activate it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from server.db.models import FederationNonce
from server.federation.node import NodeIdentity
from server.federation.signatures import sign_request
from tests.integration.federation.nodes import Node, node, signed
from tests.integration.peers import assert_problem, count

PATH = "/federation/v1/peering"


@pytest.fixture
def pending(tmp_path: Path):
    """Node B allows node A; A has not allowed B (so B's view of A is pending)."""
    with (
        node(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path / "a", "alpha") as a,
        node(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", tmp_path / "b", "beta") as b,
    ):
        assert b.allow(a).json()["status"] == "pending"
        yield a, b


def _hello(a: Node) -> dict[str, object]:
    return {"node": a.url, "institutions": []}


def _unchanged(b: Node, status: str = "pending", nonces: int = 0) -> None:
    assert [p["status"] for p in b.peers()] == [status]
    assert count(b.world, FederationNonce) == nonces


def _refused(response: httpx.Response, status: int, *words: str) -> None:
    """Problem details that quote nothing of the request (no signature, nonce or body)."""
    assert_problem(response, status, *words)
    assert "Signature" not in response.text and "keyid" not in response.text


def test_a_valid_signature_is_accepted_once_and_a_replay_is_refused(
    pending: tuple[Node, Node],
) -> None:
    a, b = pending
    response, headers, body = signed(a.identity, b, "POST", PATH, _hello(a))
    assert response.status_code == 200, response.text
    _unchanged(b, "active", nonces=1)
    replay = httpx.post(b.url + PATH, content=body, headers=headers)
    _refused(replay, 401, "replay")
    _unchanged(b, "active", nonces=1)


def test_no_signature_is_refused(pending: tuple[Node, Node]) -> None:
    a, b = pending
    _refused(httpx.post(b.url + PATH, json=_hello(a)), 401, "signature")
    _unchanged(b)


def test_an_unknown_key_is_refused(pending: tuple[Node, Node]) -> None:
    _a, b = pending
    stranger = NodeIdentity("http://127.0.0.1:9", secrets.token_bytes(32))
    response, _, _ = signed(stranger, b, "POST", PATH, {"node": stranger.name,
                                                          "institutions": []})  # fmt: skip
    _refused(response, 401, "pinned")
    _unchanged(b)


def test_a_key_other_than_the_pinned_one_is_refused(pending: tuple[Node, Node]) -> None:
    # Node A's name, a key that is not the one B pinned for A (a rotated or stolen identity).
    a, b = pending
    impostor = NodeIdentity(a.url, secrets.token_bytes(32))
    response, _, _ = signed(impostor, b, "POST", PATH, _hello(a))
    _refused(response, 401, "pinned")
    _unchanged(b)


def test_a_revoked_peer_is_refused(pending: tuple[Node, Node]) -> None:
    a, b = pending
    (a_on_b,) = b.peers()
    assert b.admin_call("DELETE", f"/api/v1/federation/peers/{a_on_b['id']}").status_code == 200
    response, _, _ = signed(a.identity, b, "POST", PATH, _hello(a))
    _refused(response, 403, "revoked")
    _unchanged(b, "revoked")


@pytest.mark.parametrize("skew", [timedelta(seconds=-330), timedelta(seconds=330)])
def test_a_signature_outside_the_window_is_refused(
    pending: tuple[Node, Node], skew: timedelta
) -> None:
    a, b = pending
    response, _, _ = signed(a.identity, b, "POST", PATH, _hello(a),
                            now=datetime.now(UTC) + skew)  # fmt: skip
    _refused(response, 401, "window")
    _unchanged(b)


def test_a_tampered_body_is_refused(pending: tuple[Node, Node]) -> None:
    a, b = pending
    tampered = b'{"node": "%s", "institutions": ["%s"]}' % (a.url.encode(), b"0" * 64)
    response, _, _ = signed(a.identity, b, "POST", PATH, _hello(a), send_body=tampered)
    _refused(response, 401, "digest")
    assert "0" * 64 not in response.text
    _unchanged(b)


def test_a_tampered_method_or_target_is_refused(pending: tuple[Node, Node]) -> None:
    a, b = pending
    body = b'{"node":"%s","institutions":[]}' % a.url.encode()
    # Signed as a DELETE (a revocation), sent as the handshake.
    as_delete = sign_request(a.identity, method="DELETE", url=b.url + PATH, body=body,
                             now=datetime.now(UTC))  # fmt: skip
    response = httpx.post(b.url + PATH, content=body, headers=as_delete)
    _refused(response, 401, "signature")
    # Signed for another path on B.
    other_path = sign_request(a.identity, method="POST", url=b.url + PATH + "?x=1", body=body,
                              now=datetime.now(UTC))  # fmt: skip
    response = httpx.post(b.url + PATH, content=body, headers=other_path)
    _refused(response, 401, "signature")
    # Signed for another node's URL (a request replayed at the wrong node).
    elsewhere = sign_request(a.identity, method="POST", url="http://127.0.0.1:9" + PATH,
                             body=body, now=datetime.now(UTC))  # fmt: skip
    response = httpx.post(b.url + PATH, content=body, headers=elsewhere)
    _refused(response, 401, "signature")
    _unchanged(b)


def test_a_signature_is_not_a_bearer_token(pending: tuple[Node, Node]) -> None:
    a, b = pending
    response = httpx.post(b.url + PATH, json=_hello(a), headers=b.admin.headers)
    _refused(response, 401)
    _unchanged(b)
