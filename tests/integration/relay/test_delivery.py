"""Nothing accepted is lost: across a server restart, a Redis restart, a dropped client, and
between two worker processes that share only the database and Redis."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from crypto import Envelope, Session
from tests.integration.flows import Flow, build_flow
from tests.integration.sockets import Socket, open_socket, token
from tests.live import serve
from tests.services import RedisServer, free_port
from tests.world import World, make_settings, seed_world


async def send_all(socket: Socket, session: Session, texts: list[str]) -> list[str]:
    ids = []
    for text in texts:
        await socket.send(
            {"type": "send", "envelope": session.encrypt(text.encode()).encode().decode()}
        )
        # A resync (after a Redis restart) may answer with an unsolicited `synced`.
        accepted = await socket.expect("accepted", skip=frozenset({"notify", "synced"}))
        ids.append(accepted["id"])
    return ids


async def receive_unique(socket: Socket, count: int, seen: dict[str, dict[str, Any]]) -> None:
    """Read deliveries until `count` distinct ids are in `seen` (duplicates are allowed)."""
    while len(seen) < count:
        frame = await socket.recv(timeout=15)
        if frame["type"] == "deliver":
            seen.setdefault(frame["id"], frame)


def decrypt_in_order(flow: Flow, frames: list[dict[str, Any]]) -> list[str]:
    ordered = sorted(frames, key=lambda f: f["seq"])
    session, first = flow.supporter.client.accept_session(
        flow.room_id, Envelope.decode(ordered[0]["envelope"])
    )
    texts = [first.plaintext.decode()]
    texts += [
        session.decrypt(Envelope.decode(f["envelope"])).plaintext.decode() for f in ordered[1:]
    ]
    return texts


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_server_restart_mid_conversation(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path / "var")
    port = free_port()
    with serve(settings, port=port) as server, server.client() as client:
        world = World(server=server, client=client)
        seed_world(world)
        flow = build_flow(world, tmp_path / "clients")
        session = flow.clinician.client.start_session(flow.room_id)
        alice = await open_socket(server.base_url, token(flow.clinician))
        before = await send_all(alice, session, [f"before {i}" for i in range(5)])
        await alice.close()
    # The server is gone; everything accepted is only in the database now.
    with serve(settings, port=port) as server:
        alice = await open_socket(server.base_url, token(flow.clinician))
        after = await send_all(alice, session, [f"after {i}" for i in range(3)])
        bob = await open_socket(server.base_url, token(flow.supporter))
        await bob.send({"type": "sync", "after": 0})
        seen: dict[str, dict[str, Any]] = {}
        await receive_unique(bob, 8, seen)
        assert set(seen) == set(before + after)
        texts = decrypt_in_order(flow, list(seen.values()))
        assert texts == [f"before {i}" for i in range(5)] + [f"after {i}" for i in range(3)]
        await alice.close()
        await bob.close()
    flow.clinician.client.close()
    flow.supporter.client.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_dropped_client_gets_in_flight_messages_exactly_once(
    world: World, tmp_path: Path
) -> None:
    flow = build_flow(world, tmp_path / "clients")
    session = flow.clinician.client.start_session(flow.room_id)
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    bob = await open_socket(world.server.base_url, token(flow.supporter))
    ids = await send_all(alice, session, [f"m{i}" for i in range(10)])
    seen: dict[str, dict[str, Any]] = {}
    await receive_unique(bob, 3, seen)
    bob.connection.transport.abort()  # no close handshake, no acks
    # More while the recipient is away.
    ids += await send_all(alice, session, [f"m{i}" for i in range(10, 14)])
    bob = await open_socket(world.server.base_url, token(flow.supporter))
    await bob.send({"type": "sync", "after": 0})
    await receive_unique(bob, 14, seen)
    assert sorted(seen) == sorted(ids)
    assert decrypt_in_order(flow, list(seen.values())) == [f"m{i}" for i in range(14)]
    await bob.send({"type": "ack", "ids": ids})
    await bob.send({"type": "ping"})
    while (await bob.recv())["type"] != "pong":  # the rest of the first sync's answer
        pass
    await bob.send({"type": "sync", "after": 0})
    assert (await bob.expect("synced"))["cursor"] == 0  # nothing left, nothing twice
    await alice.close()
    await bob.close()
    flow.clinician.client.close()
    flow.supporter.client.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_redis_restart_loses_nothing(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    settings = make_settings(database_url, tmp_path / "var", redis_url=redis_server.url)
    with serve(settings) as server, server.client() as client:
        world = World(server=server, client=client)
        seed_world(world)
        flow = build_flow(world, tmp_path / "clients")
        session = flow.clinician.client.start_session(flow.room_id)
        alice = await open_socket(server.base_url, token(flow.clinician))
        bob = await open_socket(server.base_url, token(flow.supporter))
        seen: dict[str, dict[str, Any]] = {}
        ids = await send_all(alice, session, ["one", "two"])
        await receive_unique(bob, 2, seen)  # live, through Redis
        redis_server.stop()
        ids += await send_all(alice, session, ["three", "four"])  # accepted: the mailbox has them
        redis_server.start()
        await receive_unique(bob, 4, seen)  # the reconnect resyncs the inbox
        ids += await send_all(alice, session, ["five"])
        await receive_unique(bob, 5, seen)
        assert sorted(seen) == sorted(ids)
        assert decrypt_in_order(flow, list(seen.values())) == [
            "one",
            "two",
            "three",
            "four",
            "five",
        ]
        await alice.close()
        await bob.close()
        flow.clinician.client.close()
        flow.supporter.client.close()


async def test_two_worker_processes_deliver_to_each_other_through_redis(
    two_workers: tuple[World, str], tmp_path: Path
) -> None:
    world, other_worker = two_workers
    flow = build_flow(world, tmp_path / "clients")
    session = flow.clinician.client.start_session(flow.room_id)
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    bob = await open_socket(other_worker, token(flow.supporter))  # the other process
    ids = await send_all(alice, session, ["across", "workers"])
    seen: dict[str, dict[str, Any]] = {}
    await receive_unique(bob, 2, seen)  # live: bob never asked to sync
    assert sorted(seen) == sorted(ids)
    reply_session, _ = flow.supporter.client.accept_session(
        flow.room_id, Envelope.decode(seen[ids[0]]["envelope"])
    )
    reply_session.decrypt(Envelope.decode(seen[ids[1]]["envelope"]))
    await bob.send({"type": "send", "envelope": reply_session.encrypt(b"back").encode().decode()})
    await bob.expect("accepted")
    back = await alice.expect("deliver")
    assert session.decrypt(Envelope.decode(back["envelope"])).plaintext == b"back"
    await alice.close()
    await bob.close()
    await asyncio.sleep(0)
    flow.clinician.client.close()
    flow.supporter.client.close()
