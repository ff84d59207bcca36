"""Cursors are per recipient, deliveries from one sender arrive in order across reconnects and
restarts, and a stored envelope reaches an online recipient even when its sender never heard
`accepted`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crypto import Envelope, Session
from server.accounts.roles import Role
from tests.integration.flows import Flow, build_flow, side
from tests.integration.sockets import Socket, open_socket, token
from tests.live import serve
from tests.services import free_port
from tests.world import World, make_settings, seed_world

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def send_all(socket: Socket, session: Session, texts: list[str]) -> list[str]:
    ids = []
    for text in texts:
        await socket.send(
            {"type": "send", "envelope": session.encrypt(text.encode()).encode().decode()}
        )
        ids.append((await socket.expect("accepted", skip=frozenset({"notify", "synced"})))["id"])
    return ids


async def arrivals(socket: Socket, count: int) -> list[dict[str, Any]]:
    """Deliveries in the order they arrive, until `count` distinct ids came (repeats kept)."""
    frames: list[dict[str, Any]] = []
    while len({f["id"] for f in frames}) < count:
        frame = await socket.recv(timeout=10)
        if frame["type"] == "deliver":
            frames.append(frame)
    return frames


def first_arrivals(frames: list[dict[str, Any]]) -> list[str]:
    seen: list[str] = []
    for frame in frames:
        if frame["id"] not in seen:
            seen.append(frame["id"])
    return seen


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_the_cursor_counts_only_the_recipients_own_envelopes(
    world: World, flow: Flow, tmp_path: Path
) -> None:
    bystander = side(world, tmp_path, "bystander", Role.CLINICIAN, "c")  # in no room at all
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    bob = await open_socket(world.server.base_url, token(flow.supporter))
    session = flow.clinician.client.start_session(flow.room_id)
    await send_all(alice, session, ["one", "two", "three"])
    delivered = [await bob.expect("deliver") for _ in range(3)]
    assert [d["seq"] for d in delivered] == [1, 2, 3]
    reply, _ = flow.supporter.client.accept_session(
        flow.room_id, Envelope.decode(delivered[0]["envelope"])
    )
    await send_all(bob, reply, ["back"])
    assert (await alice.expect("deliver"))["seq"] == 1  # alice's own first, not the fourth
    await alice.close()
    await bob.close()

    watcher = await open_socket(world.server.base_url, token(bystander), ready=False)
    assert (await watcher.expect("ready"))["cursor"] == 0
    again = await open_socket(world.server.base_url, token(flow.supporter), ready=False)
    assert (await again.expect("ready"))["cursor"] == 3
    await watcher.close()
    await again.close()
    bystander.client.close()


@SQLITE_ONLY
async def test_live_deliveries_wait_for_the_backlog_across_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    # Small sync pages: the backlog takes several round trips to the database.
    settings = make_settings(database_url, tmp_path / "var", ws_sync_batch=2)
    port = free_port()
    with serve(settings, port=port) as server, server.client() as client:
        world = World(server=server, client=client)
        seed_world(world)
        flow = build_flow(world, tmp_path / "clients")
        session = flow.clinician.client.start_session(flow.room_id)
        alice = await open_socket(server.base_url, token(flow.clinician))
        ids = await send_all(alice, session, [f"before {i}" for i in range(6)])
        await alice.close()
    with serve(settings, port=port) as server:  # the server restarted; bob was away
        alice = await open_socket(server.base_url, token(flow.clinician))
        ids += await send_all(alice, session, [f"while away {i}" for i in range(4)])
        bob = await open_socket(server.base_url, token(flow.supporter))
        # Newer envelopes while bob's client is about to sync from its cursor.
        ids += await send_all(alice, session, ["live 0", "live 1"])
        await bob.send({"type": "sync", "after": 0})
        ids += await send_all(alice, session, ["live 2"])
        frames = await arrivals(bob, len(ids))
        assert first_arrivals(frames) == ids  # order per sender, backlog first
        seqs = [f["seq"] for f in frames]
        assert seqs == sorted(seqs)
        await alice.close()
        await bob.close()
    flow.clinician.client.close()
    flow.supporter.client.close()


@SQLITE_ONLY
async def test_a_sender_gone_before_accepted_does_not_hold_up_the_recipient(
    world: World, flow: Flow
) -> None:
    bob = await open_socket(world.server.base_url, token(flow.supporter))
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    session = flow.clinician.client.start_session(flow.room_id)
    envelope = session.encrypt(b"sent, then the train went into a tunnel")
    await alice.send({"type": "send", "envelope": envelope.encode().decode()})
    await alice.close()  # before `accepted` can reach it
    delivered = await bob.expect("deliver")  # live: nobody synced
    assert Envelope.decode(delivered["envelope"]).message_id == envelope.message_id
    # Its re-send after the reconnect is answered as before and not delivered as new.
    alice = await open_socket(world.server.base_url, token(flow.clinician))
    await alice.send({"type": "send", "envelope": envelope.encode().decode()})
    assert (await alice.expect("accepted"))["id"] == delivered["id"]
    assert await bob.silent(0.3)  # published again, but bob's socket had sent it already
    await alice.close()
    await bob.close()
