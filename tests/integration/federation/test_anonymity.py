"""What a peer node learns: nothing that names or locates a person on the other node.

Both nodes sit behind recording proxies that are their public URLs, so every server-to-server
request and response body (and header) is recorded. After a forwarded request, a match, a chat
both ways and a close, none of the requester's account id, device key, institution or network
appears in what crossed, in node B's database or in any log line; and the mirror holds for the
supporter toward node A.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from client import Peerhaven
from tests.integration.federation.nodes import Node, node, peer
from tests.integration.federation.recorder import recording_proxy
from tests.integration.federation.test_rooms import FAST, matched, relay, texts, wait_for

CANARY = f"CANARY-{uuid.uuid4().hex}"


@dataclass
class Pair:
    a: Node
    b: Node
    people: list[Peerhaven] = field(default_factory=list)


def _forms(value: bytes | str | uuid.UUID) -> list[bytes]:
    """The ways an identifier can be written down: text, hex (SQLite's UUIDs), base64."""
    if isinstance(value, uuid.UUID):
        return [str(value).encode(), value.hex.encode()]
    if isinstance(value, str):
        return [value.encode()]
    return [value, value.hex().encode(), base64.urlsafe_b64encode(value).rstrip(b"=")]


def _identifiers(n: Node, api: Peerhaven, institution: str, prefix: str) -> dict[str, list[bytes]]:
    me = api.me()
    account = uuid.UUID(me["account_id"])
    device = api.device.public_key
    inst_id = n.world.institutions[institution]
    return {
        "account id": _forms(account),
        "device key": _forms(device),
        "institution": [
            *_forms(inst_id),
            f"{prefix}-{institution}".encode(),
            f"{prefix.upper()} institution {institution}".encode(),
        ],
        "network": [f"{prefix}-north".encode(), f"{prefix.title()} North".encode()],
    }


def _absent(where: str, haystack: bytes, secrets: dict[str, list[bytes]]) -> None:
    for name, forms in secrets.items():
        for form in forms:
            assert form not in haystack, f"{name} found in {where}"


def _database(n: Node) -> bytes:
    path = Path(n.world.server.settings.database_url.removeprefix("sqlite+aiosqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


async def test_neither_node_learns_who_is_on_the_other(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with recording_proxy() as front_a, recording_proxy() as front_b:
        with node(f"sqlite+aiosqlite:///{tmp_path / 'a' / 'a.db'}", tmp_path / "a", "alpha",
                  public_origin=front_a.url, **FAST) as a:  # fmt: skip
            front_a.target = a.world.server.base_url
            with node(f"sqlite+aiosqlite:///{tmp_path / 'b' / 'b.db'}", tmp_path / "b", "beta",
                      public_origin=front_b.url, **FAST) as b:  # fmt: skip
                front_b.target = b.world.server.base_url
                pair = Pair(a, b)
                try:
                    await _converse(pair, tmp_path)
                    asker, helper = pair.people[1], pair.people[0]
                    requester = _identifiers(a, asker, "a", "alpha")
                    supporter = _identifiers(b, helper, "a", "beta")
                    crossed = front_a.everything() + front_b.everything()
                    assert (
                        b"/federation/v1/send/" in crossed and b"/federation/v1/requests" in crossed
                    )
                    _absent("server-to-server traffic", crossed, requester | supporter)
                    _absent("node B's database", _database(b), requester)
                    _absent("node A's database", _database(a), supporter)
                    # Every record of both nodes at DEBUG, but the SQLite driver's own call traces,
                    # which show node A's own queries (its own ids) and are not Peerhaven's logs.
                    records = [r for r in caplog.records if not r.name.startswith("aiosqlite")]
                    logs = "\n".join(r.getMessage() for r in records).encode()
                    assert len(records) > 50
                    _absent("the logs", logs, requester | supporter)
                    # The canary: no plaintext on either node, in traffic, storage or logs.
                    canary = {"plaintext": [CANARY.encode(), b"and a reply"]}
                    stores = {"node A": _database(a), "node B": _database(b)}
                    for where, data in {"traffic": crossed, "logs": logs, **stores}.items():
                        _absent(where, data, canary)
                finally:
                    for api in pair.people:
                        api.close()


async def _converse(pair: Pair, tmp_path: Path) -> None:
    peer(pair.a, pair.b)
    asker, helper, room = await asyncio.to_thread(matched, pair, tmp_path)  # type: ignore[arg-type]
    async with relay(asker) as ann, relay(helper) as sam:
        await ann.send(room, CANARY)
        assert await texts(sam, 1) == [CANARY]
        await sam.send(room, "and a reply")
        assert await texts(ann, 1) == ["and a reply"]
    asker.close_room(room)
    wait_for(lambda: helper.room(room)["status"] == "closed")
