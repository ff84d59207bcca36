"""The audit log: every moderator and admin step lands in one hash chain, and `peerhaven audit
verify` finds any edited, removed or reordered entry (and says which)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from server import cli
from server.accounts.roles import Role
from server.db.models import AuditEntry
from server.moderation import audit
from tests.integration.flows import build_flow
from tests.integration.moderation.desk import OPEN_SIDES, moderator, person
from tests.world import World

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


def _verify(world: World) -> audit.AuditReport:
    report: audit.AuditReport = world.run(lambda session: audit.verify_chain(session, batch=3))
    return report


def _sql(world: World, statement: Any) -> None:
    async def go(session: Any) -> None:
        await session.exec(statement)

    world.run(go)


def _entries(world: World) -> list[AuditEntry]:
    async def go(session: Any) -> list[AuditEntry]:
        return list((await session.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))).all())

    found: list[AuditEntry] = world.run(go)
    return found


def _busy_desk(world: World, tmp_path: Path) -> None:
    flow = build_flow(world, tmp_path)
    OPEN_SIDES.extend([flow.clinician, flow.supporter])
    mod = moderator(world, tmp_path, "moderator").client
    admin = person(world, tmp_path, "admin", Role.NETWORK_ADMIN).client
    for category in ("crisis", "harassment"):
        flag = flow.supporter.client.flag_room(flow.room_id, category, note="secret note text")
        mod.claim_flag(flag["id"])
        mod.acknowledge_flag(flag["id"])
        mod.resolve_flag(flag["id"], "supported")
    admin._call("POST", f"/api/v1/institutions/{world.institutions['a']}/invites",
                {"role": "clinician"})  # fmt: skip


def _cli(world: World, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.cmd_audit_verify(argparse.Namespace(), world.server.settings)
    out, err = capsys.readouterr()
    return code, out + err


def test_an_intact_log_verifies_and_names_ids_only(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _busy_desk(world, tmp_path)
    entries = _entries(world)
    actions = [e.action for e in entries]
    assert actions.count("flag.claimed") == 2 and "invite.created" in actions
    assert {"report_key.registered", "rota.on_duty", "flag.resolved"} <= set(actions)
    assert all("secret note" not in str(e.subject) for e in entries)
    report = _verify(world)
    assert report.intact and report.entries == len(entries) and report.head == entries[-1].hash
    code, text = _cli(world, capsys)
    assert code == 0 and f"{len(entries)} entries" in text and report.head.hex() in text


def test_an_edited_entry_is_found(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _busy_desk(world, tmp_path)
    _sql(world, sa.update(AuditEntry).where(col(AuditEntry.seq) == 4)
         .values(action="flag.acknowledged-not"))  # fmt: skip
    report = _verify(world)
    assert report.problems == ["entry 4: content does not match its hash (edited?)"]
    code, text = _cli(world, capsys)
    assert code == 1 and "entry 4" in text and "BROKEN" in text


def test_a_removed_entry_is_found(world: World, tmp_path: Path) -> None:
    _busy_desk(world, tmp_path)
    _sql(world, sa.delete(AuditEntry).where(col(AuditEntry.seq) == 5))
    problems = _verify(world).problems
    assert "entry 6: expected entry 5 (removed?)" in problems
    assert "entry 6: does not follow the entry before it" in problems


def test_reordered_entries_are_found(world: World, tmp_path: Path) -> None:
    _busy_desk(world, tmp_path)
    # Swap entries 3 and 4 by renumbering (the hashes stay with their contents).
    for old, new in ((3, -3), (4, 3), (-3, 4)):
        _sql(world, sa.update(AuditEntry).where(col(AuditEntry.seq) == old).values(seq=new))
    problems = _verify(world).problems
    assert any(p.startswith("entry 3:") for p in problems)
    assert any(p.startswith("entry 4:") for p in problems)
    # Re-hashing an edited entry does not help: the next entry no longer follows it.
    _sql(world, sa.update(AuditEntry).where(col(AuditEntry.seq) == 2)
         .values(hash=b"\x01" * 32))  # fmt: skip
    assert "entry 3: does not follow the entry before it" in _verify(world).problems
