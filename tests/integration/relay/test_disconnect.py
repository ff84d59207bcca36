"""A client that goes away mid-answer: what it said before leaving still counts. Frames the server
had received but not yet read when a send to the client failed (acks above all) are processed
before the socket ends, so acknowledged entries leave the mailbox instead of waiting for expiry."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
import uuid
from pathlib import Path

import pytest

from server.db.models import MailboxEntry
from tests.integration.flows import build_flow
from tests.integration.peers import count, custom_world
from tests.integration.relay.test_delivery import send_all
from tests.integration.sockets import open_socket, token
from tests.world import World


def open_connections(world: World) -> float:
    match = re.search(r"^peerhaven_relay_connections (\S+)$", world.metrics(), re.MULTILINE)
    assert match is not None
    return float(match.group(1))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_acks_sent_before_a_drop_are_processed_though_a_send_to_the_client_failed(
    database_url: str, tmp_path: Path
) -> None:
    # One entry per mailbox read: the answer to `sync` is many writes with a read between each,
    # so the server sees the reset (connection lost) while it is still answering.
    with custom_world(database_url, tmp_path, ws_sync_batch=1) as world:
        flow = build_flow(world, tmp_path / "clients")
        session = flow.clinician.client.start_session(flow.room_id)
        alice = await open_socket(world.server.base_url, token(flow.clinician))
        ids = await send_all(alice, session, [f"m{i}" for i in range(20)])
        bob = await open_socket(world.server.base_url, token(flow.supporter))
        assert len(ids) == 20 and open_connections(world) == 2
        acked = ids[:10]  # what this client had already shown: its cursor is past them
        # The sync and then the acks, in one write: the server receives them together (frames
        # still in the kernel's buffer when the connection dies are lost with it; see
        # docs/performance.md), and must answer the sync before it reads the acks.
        frames = [{"type": "sync", "after": 0}] + [{"type": "ack", "ids": [i]} for i in acked]
        for frame in frames:
            bob.connection.protocol.send_text(json.dumps(frame).encode())
        bob.connection.transport.write(b"".join(bob.connection.protocol.data_to_send()))
        # Gone at once, without a close handshake: a reset (linger 0), so the server's next write
        # in answer to the sync fails while the acks wait behind it.
        raw = bob.connection.transport.get_extra_info("socket")
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        bob.connection.transport.abort()
        await asyncio.wait_for(bob.connection.wait_closed(), 5)  # the socket is closed by now
        for _ in range(100):  # the server notices on its own schedule
            if open_connections(world) == 1:
                break
            await asyncio.sleep(0.05)
        assert open_connections(world) == 1
        left = {
            str(row)
            for row in world.run(lambda s: _ids(s, uuid.UUID(flow.supporter.me["account_id"])))
        }
        assert left == set(ids[10:])  # the acknowledged ten are gone, nothing else
        assert count(world, MailboxEntry) == 10
        await alice.close()
        flow.clinician.client.close()
        flow.supporter.client.close()


async def _ids(session, account_id: uuid.UUID) -> list[uuid.UUID]:  # type: ignore[no-untyped-def]
    from sqlmodel import col, select

    rows = await session.exec(
        select(MailboxEntry.id).where(col(MailboxEntry.recipient_id) == account_id)
    )
    return list(rows.all())
