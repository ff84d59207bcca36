"""No plaintext on the server: a conversation carrying a unique canary runs through the real
server, and the supporter flags the room with a sealed report revealing a canary message (and a
canary note) that a moderator opens and verifies; afterwards every byte the server wrote
(database files or dump, Redis keys, values and files, its data directory, every log line) is
searched for the canary, in plain, hex and base64.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from client.ledger import FrankedMessage
from crypto import Envelope
from server.accounts.roles import Role
from tests.integration.canary import leaks
from tests.integration.flows import Flow, Side, build_flow, side
from tests.integration.sockets import open_socket
from tests.live import serve
from tests.services import PostgresServer, RedisServer
from tests.world import World, make_settings, seed_world


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.debug: list[str] = []  # the server's own DEBUG lines: DEBUG was on

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.levelno == logging.DEBUG and record.name.startswith("server."):
            self.debug.append(record.getMessage())


@dataclass
class Backend:
    name: str
    world: World
    postgres: PostgresServer | None
    redis: RedisServer | None

    def stored_bytes(self) -> bytes:
        """Everything the server persisted."""
        chunks: list[bytes] = []
        data_dir = self.world.server.settings.data_dir
        for path in sorted(data_dir.rglob("*")):
            if path.is_file():
                chunks.append(path.read_bytes())  # SQLite db, -wal, -shm; secrets.json
        if self.postgres is not None:
            database = self.world.url.rsplit("/", 1)[1]
            chunks.append(self.postgres.dump(database))
        if self.redis is not None:
            client = redis.Redis.from_url(self.redis.url)
            try:
                for key in client.scan_iter():
                    chunks.append(key)
                    chunks.append(client.dump(key) or b"")
                client.save()
            finally:
                client.close()
            for path in sorted(self.redis.directory.rglob("*")):
                if path.is_file():
                    chunks.append(path.read_bytes())
        return b"\n".join(chunks)


@pytest.fixture(params=["sqlite", "postgres", "postgres+redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    postgres = redis_server = None
    data_dir = tmp_path / "var"
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{data_dir / 'peerhaven.db'}"
    else:
        postgres = request.getfixturevalue("postgres")
        url = postgres.create_database(f"canary_{uuid.uuid4().hex[:12]}")
    overrides: dict[str, object] = {"log_level": "DEBUG"}
    if request.param.endswith("redis"):
        redis_server = request.getfixturevalue("redis_server")
        overrides["redis_url"] = redis_server.url
    settings = make_settings(url, data_dir, **overrides)
    with serve(settings, log_level="debug") as server, server.client() as client:
        world = World(server=server, client=client)
        seed_world(world)
        yield Backend(request.param, world, postgres, redis_server)


@dataclass
class Conversation:
    undelivered: str  # the id of an envelope left in the mailbox
    envelopes: list[str]  # every envelope sent, as encoded
    kept: FrankedMessage  # the supporter's record of the first message (what a report reveals)


async def _converse(world: World, flow: Flow, canary: str) -> Conversation:
    base = world.server.base_url
    alice = await open_socket(base, flow.clinician.client._token)
    bob = await open_socket(base, flow.supporter.client._token)
    a_session = flow.clinician.client.start_session(flow.room_id)
    opening = a_session.encrypt(f"after the arrest I keep hearing the monitor {canary}".encode())
    sent = [opening.encode().decode()]
    await alice.send({"type": "send", "envelope": opening.encode().decode()})
    await alice.expect("accepted")
    first = await bob.expect("deliver")
    b_session, message = flow.supporter.client.accept_session(
        flow.room_id, Envelope.decode(first["envelope"])
    )
    assert canary in message.plaintext.decode()  # positive control: the canary did travel
    kept = FrankedMessage(
        delivery_id=first["id"], message_id=message.message_id, room=flow.room_id,
        sender=message.sender, ts=first["ts"], plaintext=message.plaintext,
        franking_key=message.franking_key, commitment=message.commitment, tag=first["tag"],
    )  # fmt: skip
    await bob.send({"type": "ack", "ids": [first["id"]]})
    for i in range(3):
        reply = b_session.encrypt(f"{canary} reply {i}".encode())
        sent.append(reply.encode().decode())
        await bob.send({"type": "send", "envelope": reply.encode().decode()})
        await bob.expect("accepted")
        got = await alice.expect("deliver")
        assert canary in a_session.decrypt(Envelope.decode(got["envelope"])).plaintext.decode()
        await alice.send({"type": "ack", "ids": [got["id"]]})
    await bob.close()
    # Left undelivered in the mailbox on purpose: stored ciphertext is searched too.
    for i in range(2):
        later = a_session.encrypt(f"are you there? {canary} {i}".encode())
        sent.append(later.encode().decode())
        await alice.send({"type": "send", "envelope": later.encode().decode()})
        await alice.expect("accepted")
    await alice.send({"type": "ping"})
    await alice.expect("pong")
    await alice.close()
    return Conversation(undelivered=later.message_id, envelopes=sent, kept=kept)


def _report(world: World, flow: Flow, moderator: Side, kept: FrankedMessage, canary: str) -> None:
    """The supporter flags the room, revealing the canary message with a note that carries the
    canary too; the moderator opens the report and verifies it by franking."""
    flag = flow.supporter.client.flag_room(
        flow.room_id, "crisis", note=f"my peer wrote {canary}", reveal=[kept]
    )
    report = moderator.client.read_report(moderator.client.flag(flag["id"]))
    assert canary in report.note and canary in report.messages[0].plaintext.decode()  # control
    assert [v["verified"] for v in moderator.client.verify_report(flag["id"], report)] == [True]


async def test_no_plaintext_anywhere_on_the_server(
    backend: Backend, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    collect = _Collect()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(collect)
    root.setLevel(logging.DEBUG)
    canary = f"CANARY-{uuid.uuid4().hex}"
    try:
        flow = build_flow(backend.world, tmp_path / "clients")
        tokens = [flow.clinician.client._token, flow.supporter.client._token]
        moderator = side(backend.world, tmp_path / "clients", "moderator", Role.MODERATOR, "a")
        moderator.client.register_report_key()
        moderator.client.set_duty(True)
        tokens.append(moderator.client._token)
        conversation = await _converse(backend.world, flow, canary)
        _report(backend.world, flow, moderator, conversation.kept, canary)
        flow.clinician.client.close()
        flow.supporter.client.close()
        moderator.client.close()
    finally:
        root.removeHandler(collect)
        root.setLevel(previous)
    out, err = capfd.readouterr()
    logs = "\n".join(collect.lines).encode() + out.encode() + err.encode()
    assert collect.debug, "the server logged nothing at DEBUG"
    stored = backend.stored_bytes()
    assert conversation.undelivered.encode() in stored  # the search covers the mailbox
    assert b"report_key.registered" in stored  # ... and the moderation tables

    assert leaks(stored, canary) == [], f"{backend.name}: canary in stored data"
    assert leaks(logs, canary) == [], f"{backend.name}: canary in logs"
    # Nor, at DEBUG, a bearer token (the WebSocket frame trace), an envelope or a piece of one
    # (SQL parameters), in any form.
    for token in tokens:  # any 12 characters of its secret part (a log may shorten a frame)
        pieces = [token[i : i + 12].encode() for i in range(4, len(token) - 11)]
        assert token and not [p for p in pieces if p in logs], f"{backend.name}: a token in logs"
    for envelope in conversation.envelopes:
        ciphertext = json.loads(envelope)["ct"]
        assert ciphertext[:24].encode() not in logs, f"{backend.name}: an envelope in logs"
        assert envelope[:60].encode() not in logs
