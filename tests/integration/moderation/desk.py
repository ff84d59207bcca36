"""A moderation desk for tests: a flow (clinician + supporter in a room, talking over the relay),
moderators with report keys on the rota, and a network admin, all through the Python SDK."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from client.ledger import FrankedMessage
from crypto import Envelope
from server.accounts.roles import Role
from tests.integration.flows import Flow, Side, build_flow, side
from tests.integration.sockets import Socket, open_socket
from tests.world import World

__all__ = ["OPEN_SIDES", "Desk", "converse", "moderator", "notified", "open_desk", "person"]

OPEN_SIDES: list[Side] = []
"""Every side a test made; tests/integration/moderation/conftest.py closes them."""


def person(world: World, tmp_path: Path, name: str, role: Role, institution: str = "a") -> Side:
    found = side(world, tmp_path, name, role, institution)
    OPEN_SIDES.append(found)
    return found


def moderator(
    world: World, tmp_path: Path, name: str, *, tier: str = "primary", on_duty: bool = True,
    institution: str = "a",
) -> Side:  # fmt: skip
    """A moderator with a registered report key, on (or off) duty in `tier`."""
    found = person(world, tmp_path, name, Role.MODERATOR, institution)
    found.client.register_report_key()
    found.client.set_duty(on_duty, tier=tier)
    return found


@dataclass
class Desk:
    world: World
    flow: Flow
    primary: Side
    received: list[FrankedMessage]  # what the supporter received (the ledger's records)

    @property
    def member(self) -> Side:
        return self.flow.supporter


async def converse(world: World, flow: Flow, lines: list[str]) -> list[FrankedMessage]:
    """The clinician sends `lines` to the supporter over the real relay; the supporter's records
    of them, as the client ledger keeps them for reports."""
    base = world.server.base_url
    alice = await open_socket(base, flow.clinician.client.token)
    bob = await open_socket(base, flow.supporter.client.token)
    session = flow.clinician.client.start_session(flow.room_id)
    kept: list[FrankedMessage] = []
    b_session = None
    try:
        for line in lines:
            await alice.send({"type": "send", "envelope": session.encrypt(line.encode()).encode()
                              .decode()})  # fmt: skip
            await alice.expect("accepted")
            frame = await bob.expect("deliver")
            envelope = Envelope.decode(frame["envelope"])
            if b_session is None:
                b_session, message = flow.supporter.client.accept_session(flow.room_id, envelope)
            else:
                message = b_session.decrypt(envelope)
            await bob.send({"type": "ack", "ids": [frame["id"]]})
            kept.append(FrankedMessage(
                delivery_id=frame["id"], message_id=message.message_id, room=flow.room_id,
                sender=message.sender, ts=frame["ts"], plaintext=message.plaintext,
                franking_key=message.franking_key, commitment=message.commitment,
                tag=frame["tag"],
            ))  # fmt: skip
    finally:
        await alice.close()
        await bob.close()
    return kept


async def open_desk(world: World, tmp_path: Path, lines: list[str] | None = None) -> Desk:
    flow = build_flow(world, tmp_path)
    OPEN_SIDES.extend([flow.clinician, flow.supporter])
    primary = moderator(world, tmp_path, "moderator")
    received = await converse(world, flow, lines or ["I keep replaying the code.", "It was me."])
    return Desk(world=world, flow=flow, primary=primary, received=received)


async def notified(socket: Socket, *, event: str = "flag", timeout: float = 5.0,
                   **data: str) -> dict[str, Any]:  # fmt: skip
    """The next `notify` frame for `event` whose data has the given values."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        frame = await socket.recv(max(0.01, end - loop.time()))
        if frame["type"] != "notify" or frame["event"] != event:
            continue
        if all(frame["data"].get(k) == v for k, v in data.items()):
            return frame
