"""Acknowledgement deadlines escalate primary → backup → network admins: persisted, notified
live, exactly once, across a server restart and with two workers on one database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from server.accounts.roles import Role
from server.db.models import AuditEntry, Flag
from tests.integration.flows import build_flow
from tests.integration.moderation.desk import OPEN_SIDES, moderator, notified, person
from tests.integration.peers import custom_world
from tests.integration.sockets import Socket, open_socket
from tests.live import serve
from tests.services import RedisServer
from tests.world import World, make_settings, seed_world

FAST = {"moderation_ack_crisis_seconds": 0.6, "moderation_poll_seconds": 0.05}


def _escalations(world: World) -> list[tuple[str, str]]:
    async def go(session: Any) -> list[tuple[str, str]]:
        query = select(AuditEntry).where(AuditEntry.action == "flag.escalated")
        rows = (await session.exec(query.order_by(col(AuditEntry.seq)))).all()
        return [(row.subject["flag"], row.subject["tier"]) for row in rows]

    found: list[tuple[str, str]] = world.run(go)
    return found


def _flag(world: World, flag_id: str) -> Flag:
    async def go(session: Any) -> Flag:
        found = await session.get(Flag, uuid.UUID(flag_id))
        assert found is not None
        return found

    found: Flag = world.run(go)
    return found


async def _count(socket: Socket, seconds: float, **data: str) -> int:
    """How many `flag` notifications matching `data` arrive within `seconds`."""
    seen = 0
    try:
        while True:
            await notified(socket, timeout=seconds, **data)
            seen += 1
    except TimeoutError:
        return seen


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_unacknowledged_crisis_goes_to_backup_then_admins_once(
    database_url: str, tmp_path: Path
) -> None:
    with custom_world(database_url, tmp_path, **FAST) as world:
        flow = build_flow(world, tmp_path)
        OPEN_SIDES.extend([flow.clinician, flow.supporter])
        primary = moderator(world, tmp_path, "primary")
        backup = moderator(world, tmp_path, "backup", tier="backup")
        admin = person(world, tmp_path, "admin", Role.NETWORK_ADMIN)
        sockets = [await open_socket(world.server.base_url, s.client.token)
                   for s in (primary, backup, admin)]  # fmt: skip
        p_socket, b_socket, a_socket = sockets
        try:
            flag = flow.supporter.client.flag_room(flow.room_id, "crisis", note="please")
            raised = await notified(p_socket, flag=flag["id"], change="raised")
            assert raised["data"]["tier"] == "primary"
            primary.client.claim_flag(flag["id"])  # claimed is not acknowledged: still escalates
            deadline = datetime.fromisoformat(primary.client.flag(flag["id"])["deadline"])
            await notified(b_socket, flag=flag["id"], change="escalated", tier="backup")
            fired = _flag(world, flag["id"])
            assert fired.escalated_at is not None
            assert (fired.escalated_at - deadline).total_seconds() < 1.0  # lateness ≤ 1 s
            await notified(a_socket, flag=flag["id"], change="escalated", tier="admins")
            # The admin sees it in the queue, and it goes no further.
            assert [f["tier"] for f in admin.client.flags()] == ["admins"]
            assert _flag(world, flag["id"]).escalate_at is None
            assert _escalations(world) == [(flag["id"], "backup"), (flag["id"], "admins")]
        finally:
            for socket in sockets:
                await socket.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_acknowledged_flag_never_escalates(database_url: str, tmp_path: Path) -> None:
    with custom_world(database_url, tmp_path, **FAST) as world:
        flow = build_flow(world, tmp_path)
        OPEN_SIDES.extend([flow.clinician, flow.supporter])
        primary = moderator(world, tmp_path, "primary")
        backup = moderator(world, tmp_path, "backup", tier="backup")
        socket = await open_socket(world.server.base_url, backup.client.token)
        try:
            flag = flow.supporter.client.flag_room(flow.room_id, "crisis")
            primary.client.claim_flag(flag["id"])
            primary.client.acknowledge_flag(flag["id"])
            # Well past the deadline (0.6 s): no escalation reached the backup tier.
            assert await _count(socket, 1.5, flag=flag["id"], change="escalated") == 0
        finally:
            await socket.close()
        assert _escalations(world) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_crisis_with_nobody_on_duty_escalates_at_once(
    database_url: str, tmp_path: Path
) -> None:
    # The default 60 s deadline: only "nobody on duty" can make this fire within the test.
    with custom_world(database_url, tmp_path, moderation_poll_seconds=0.05) as world:
        flow = build_flow(world, tmp_path)
        OPEN_SIDES.extend([flow.clinician, flow.supporter])
        moderator(world, tmp_path, "off-duty", on_duty=False)
        admin = person(world, tmp_path, "admin", Role.NETWORK_ADMIN)
        socket = await open_socket(world.server.base_url, admin.client.token)
        try:
            flag = flow.supporter.client.flag_room(flow.room_id, "crisis")
            await notified(socket, flag=flag["id"], change="escalated", tier="admins", timeout=3)
        finally:
            await socket.close()
        assert _escalations(world) == [(flag["id"], "backup"), (flag["id"], "admins")]


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_a_deadline_fires_after_a_restart_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path / "var", moderation_ack_crisis_seconds=1.0,
                             moderation_poll_seconds=0.05)  # fmt: skip
    with serve(settings) as server, server.client() as client:
        world = World(server=server, client=client)
        seed_world(world)
        flow = build_flow(world, tmp_path)
        OPEN_SIDES.extend([flow.clinician, flow.supporter])
        backup = moderator(world, tmp_path, "backup", tier="backup")
        moderator(world, tmp_path, "primary")
        flag = flow.supporter.client.flag_room(flow.room_id, "crisis")
    # Down past the deadline: nothing can fire it but the persisted row after the restart.
    await asyncio.sleep(1.2)
    with serve(settings) as server, server.client() as client:
        world = World(server=server, client=client)
        socket = await open_socket(server.base_url, backup.client.token)
        try:
            await notified(socket, flag=flag["id"], change="escalated", tier="admins", timeout=5)
        finally:
            await socket.close()
        assert _escalations(world) == [(flag["id"], "backup"), (flag["id"], "admins")]


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_two_workers_fire_each_deadline_once(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    settings = make_settings(database_url, tmp_path / "var", redis_url=redis_server.url,
                             moderation_ack_crisis_seconds=0.5,
                             moderation_poll_seconds=0.02)  # fmt: skip
    with serve(settings) as one, serve(settings) as two, one.client() as client:
        world = World(server=one, client=client)
        seed_world(world)
        flow = build_flow(world, tmp_path)
        OPEN_SIDES.extend([flow.clinician, flow.supporter])
        moderator(world, tmp_path, "primary")
        backup = moderator(world, tmp_path, "backup", tier="backup")
        admin = person(world, tmp_path, "admin", Role.NETWORK_ADMIN)
        # Each listens on another worker: pub/sub (Redis) carries whichever worker fired.
        b_socket = await open_socket(one.base_url, backup.client.token)
        a_socket = await open_socket(two.base_url, admin.client.token)
        try:
            flags = [flow.supporter.client.flag_room(flow.room_id, "crisis")["id"]
                     for _ in range(5)]  # fmt: skip
            for flag_id in flags:
                await notified(a_socket, flag=flag_id, change="escalated", tier="admins")
            # Exactly one escalation notice per flag and tier reached the backup moderator.
            assert await _count(b_socket, 0.5, change="escalated", tier="backup") == len(flags)
        finally:
            await b_socket.close()
            await a_socket.close()
        fired = _escalations(world)
        assert sorted(fired) == sorted([(f, t) for f in flags for t in ("backup", "admins")])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_due_flags_fire_together_and_a_bad_row_holds_no_other_back(
    database_url: str, tmp_path: Path
) -> None:
    from datetime import UTC, timedelta

    from sqlmodel import update

    from server.db.engine import Database
    from server.moderation import escalation

    # The server's own escalation job is off: this test runs the job itself.
    with custom_world(database_url, tmp_path, moderation_poll_seconds=0) as world:
        flow = build_flow(world, tmp_path)
        OPEN_SIDES.extend([flow.clinician, flow.supporter])
        moderator(world, tmp_path, "primary")
        backup = moderator(world, tmp_path, "backup", tier="backup")
        ids = [flow.supporter.client.flag_room(flow.room_id, "other")["id"] for _ in range(3)]
        past = datetime.now(UTC) - timedelta(seconds=1)

        async def due(session: Any) -> None:
            await session.exec(update(Flag).where(col(Flag.id).in_([uuid.UUID(i) for i in ids]))
                               .values(escalate_at=past))  # fmt: skip
            # A row the job cannot handle (edited outside the server), due first: it must not
            # stop the others from escalating.
            await session.exec(update(Flag).where(col(Flag.id) == uuid.UUID(ids[1]))
                               .values(category="not-a-category",
                                       escalate_at=past - timedelta(seconds=1)))  # fmt: skip
            await session.commit()

        world.run(due)
        heard: list[tuple[uuid.UUID, str]] = []

        async def notify(account_id: uuid.UUID, event: str, **data: Any) -> None:
            heard.append((account_id, str(data["flag"])))

        db = Database(world.url)
        try:
            done = await escalation.escalate_due(
                db, now=datetime.now(UTC), notify=notify,
                deadlines=escalation.deadlines(world.server.settings),
            )  # fmt: skip
        finally:
            await db.dispose()
        assert sorted(str(e.flag_id) for e in done) == sorted([ids[0], ids[2]])
        assert sorted(_escalations(world)) == sorted([(ids[0], "backup"), (ids[2], "backup")])
        assert (uuid.UUID(backup.me["account_id"]), ids[0]) in heard
        assert _flag(world, ids[1]).tier == "primary"  # still due: the next poll retries it
