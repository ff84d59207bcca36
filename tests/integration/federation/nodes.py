"""Two (or more) Peerhaven nodes on loopback, each a live server with its own database.

`node(...)` starts one with its own institutions (slugs prefixed, so two nodes never share an
institution) and a network admin; `peer(a, b)` peers them both ways through the admin API.
`signed(...)` sends a hand-made signed server-to-server request, for the refusal tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from server.accounts import directory
from server.accounts.roles import Role
from server.federation.node import NodeIdentity
from server.federation.signatures import sign_request
from server.platform.secrets import load_server_keys
from tests.devices import Device
from tests.live import serve
from tests.world import World, make_settings

__all__ = ["Node", "node", "peer", "signed", "two_nodes"]


@dataclass
class Node:
    world: World
    admin: Device

    @property
    def url(self) -> str:
        return self.world.server.settings.origin

    @property
    def identity(self) -> NodeIdentity:
        return NodeIdentity(self.url, load_server_keys(self.world.server.settings).node_key)

    def admin_call(self, method: str, path: str, json: Any = None) -> httpx.Response:
        return self.world.client.request(method, path, json=json, headers=self.admin.headers)

    def peers(self) -> list[dict[str, Any]]:
        response = self.admin_call("GET", "/api/v1/federation/peers")
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["peers"]
        return found

    def allow(self, other: Node, fingerprint: str | None = None) -> httpx.Response:
        body = {"url": other.url, "fingerprint": fingerprint or other.identity.fingerprint}
        return self.admin_call("POST", "/api/v1/federation/peers", body)


def _seed(world: World, prefix: str) -> None:
    async def seed(session: Any) -> None:
        now = datetime.now(UTC)
        network = await directory.create_network(
            session, slug=f"{prefix}-north", name=f"{prefix.title()} North", now=now
        )
        for key in ("a", "b"):
            made = await directory.create_institution(
                session, network_id=network.id, slug=f"{prefix}-{key}",
                name=f"{prefix.upper()} institution {key}", now=now,
            )  # fmt: skip
            world.institutions[key] = made.id

    world.run(seed)


@contextmanager
def node(
    database_url: str, data_dir: Path, prefix: str, *, again: Node | None = None, **overrides: Any
) -> Iterator[Node]:
    """A live node whose institutions are `<prefix>-a` and `<prefix>-b` in `<prefix>-north`;
    with `again`, that node restarted (same port, database, key and admin)."""
    if again is not None:
        settings = again.world.server.settings
        port = settings.port
    else:
        settings, port = make_settings(database_url, data_dir, **overrides), 0
    with serve(settings, port=port) as server, server.client() as client:
        world = World(server=server, client=client)
        if again is not None:
            world.institutions = again.world.institutions
            yield Node(world=world, admin=again.admin)
            return
        _seed(world, prefix)
        yield Node(world=world, admin=world.device(Role.NETWORK_ADMIN, "a"))


@contextmanager
def two_nodes(
    tmp_path: Path, *, a_url: str | None = None, peered: bool = True, **overrides: Any
) -> Iterator[tuple[Node, Node]]:
    """Nodes A (on `a_url`, default SQLite) and B (SQLite), separate databases, peered."""
    a_db = a_url or f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    b_db = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    with node(a_db, tmp_path / "a", "alpha", **overrides) as a:
        with node(b_db, tmp_path / "b", "beta", **overrides) as b:
            if peered:
                peer(a, b)
            yield a, b


def peer(a: Node, b: Node) -> None:
    """Peer `a` and `b` both ways; both end `active`."""
    first = a.allow(b)
    assert first.status_code == 201, first.text
    second = b.allow(a)
    assert second.status_code == 201, second.text
    assert second.json()["status"] == "active"
    assert [p["status"] for p in a.peers()] == ["active"]


def signed(
    identity: NodeIdentity,
    target: Node,
    method: str,
    path: str,
    payload: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
    send_body: bytes | None = None,
) -> tuple[httpx.Response, dict[str, str], bytes]:
    """Sign `method path payload` for `target` as `identity` and send it (with `send_body`
    instead of the signed body when given). Returns the response, headers and signed body."""
    body = b"" if payload is None else json.dumps(payload).encode()
    url = target.url + path
    headers = sign_request(identity, method=method, url=url, body=body,
                           now=now or datetime.now(UTC))  # fmt: skip
    response = httpx.request(
        method, url, content=body if send_body is None else send_body,
        headers={**headers, "Content-Type": "application/json"}, timeout=10,
    )  # fmt: skip
    return response, headers, body
