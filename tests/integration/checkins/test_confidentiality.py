"""Staff identifiers never leave the request that carried them: a linked and an unlinked canary
identifier (and a team name) run through linking, intake, the offer and "Talk to a peer"; then
every byte the server wrote (database, Redis, data directory, every log line at DEBUG) is
searched for them in plain, case-folded, hex and base64 forms. The integration secret is
searched for too: it is kept only sealed."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.accounts.roles import Role
from server.checkins import offers
from server.db.engine import Database
from tests.integration.canary import leaks
from tests.integration.checkins.conftest import new_credential
from tests.integration.checkins.intake import make_event, post_signed
from tests.integration.flows import side
from tests.integration.relay.test_confidentiality import Backend, _Collect, backend

__all__ = ["backend"]  # the fixture, shared with the relay's canary test


def _fire(url: str, now: datetime) -> int:
    async def go() -> int:
        db = Database(url)
        try:
            return await offers.fire_due(db, now=now)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _walk(backend: Backend, tmp_path: Path, linked: str, unlinked: str, team: str) -> str:
    world = backend.world
    admin = world.device(Role.INSTITUTION_ADMIN, "a")
    credential = new_credential(world, admin)
    supporter = side(world, tmp_path, "s", Role.SUPPORTER, "b")
    supporter.client.set_profile(specialty="207P00000X", years_experience=15,
                                 career_stage="senior", languages=["en"],
                                 time_zone="Europe/Berlin")  # fmt: skip
    supporter.client.set_supporter_profile(topic_expertise=["adverse-event"])
    clinician = side(world, tmp_path, "c", Role.CLINICIAN, "a")
    clinician.client.set_profile(specialty="207P00000X", years_experience=4,
                                 career_stage="resident", languages=["en"],
                                 time_zone="America/Chicago")  # fmt: skip
    clinician.client.link_staff_identifier(linked.upper(), team=team)
    event = make_event(f"incident-{linked}", linked, unlinked)
    assert post_signed(world.client, credential, event).status_code == 202
    assert post_signed(world.client, credential, event).json() == {"status": "duplicate"}
    assert _fire(world.url, datetime.now(UTC) + timedelta(hours=3)) == 1
    (offered,) = clinician.client.checkins()
    accepted = clinician.client.answer_checkin(offered["id"], "accept")
    assert accepted["request"]["status"] == "offered"
    clinician.client.close()
    supporter.client.close()
    return str(credential["secret"])


def test_no_staff_identifier_anywhere_on_the_server(
    backend: Backend, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    collect = _Collect()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(collect)
    root.setLevel(logging.DEBUG)
    linked = f"staff-{uuid.uuid4().hex[:24]}"
    unlinked = f"staff-{uuid.uuid4().hex[:24]}"
    team = f"team-{uuid.uuid4().hex[:24]}"
    try:
        secret = _walk(backend, tmp_path / "clients", linked, unlinked, team)
    finally:
        root.removeHandler(collect)
        root.setLevel(previous)
    out, err = capfd.readouterr()
    logs = "\n".join(collect.lines).encode() + out.encode() + err.encode()
    assert len(collect.lines) > 10  # the server did log, at DEBUG
    stored = backend.stored_bytes()
    assert b"adverse-event" in stored  # the search covers the support request the walk made
    for canary in (linked, linked.upper(), unlinked, team):
        assert leaks(stored, canary) == [], f"{backend.name}: {canary[:5]} stored"
        assert leaks(logs, canary) == [], f"{backend.name}: {canary[:5]} logged"
    assert leaks(stored, secret) == [], f"{backend.name}: integration secret stored"
    assert leaks(logs, secret) == [], f"{backend.name}: integration secret logged"
