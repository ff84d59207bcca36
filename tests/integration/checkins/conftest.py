"""A world for check-in tests: the sweeper off (tests fire due check-ins at chosen times), an
admin of institution a with an integration credential, and helpers to read the tables."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from server.accounts.roles import Role
from server.checkins import offers
from server.db.engine import Database
from server.db.models import AdverseEventReceipt, CheckinOffer, IntakeNonce, StaffLink
from tests.devices import Device
from tests.integration.flows import Side, side
from tests.live import serve
from tests.world import World, make_settings, seed_world

__all__ = ["CheckinWorld"]


@dataclass
class CheckinWorld:
    world: World
    admin: Device
    credential: dict[str, Any]
    sides: list[Side] = field(default_factory=list)

    def clinician(self, tmp_path: Path, name: str, *, staff: str | None = None,
                  institution: str = "a", role: Role = Role.CLINICIAN) -> Side:  # fmt: skip
        """A person on the Python SDK, linked to `staff` when given."""
        person = side(self.world, tmp_path, name, role, institution)
        self.sides.append(person)
        if staff is not None:
            assert person.client.link_staff_identifier(staff)["linked"] is True
        return person

    def counts(self) -> dict[str, int]:
        """Rows of every check-in table an intake can write."""

        async def count(session: Any) -> dict[str, int]:
            found = {}
            for table in (AdverseEventReceipt, CheckinOffer, IntakeNonce, StaffLink):
                found[table.__tablename__] = (
                    await session.exec(select(func.count()).select_from(table))
                ).one()
            return found

        result: dict[str, int] = self.world.run(count)
        return result

    def offers(self) -> list[CheckinOffer]:
        async def read(session: Any) -> list[CheckinOffer]:
            return list((await session.exec(select(CheckinOffer))).all())

        found: list[CheckinOffer] = self.world.run(read)
        return found

    def fire(self, now: datetime) -> int:
        async def go() -> int:
            db = Database(self.world.url)
            try:
                return await offers.fire_due(db, now=now)
            finally:
                await db.dispose()

        return asyncio.run(go())


def new_credential(world: World, admin: Device, institution: str = "a") -> dict[str, Any]:
    response = world.client.post(
        f"/api/v1/institutions/{world.institutions[institution]}/integration-credentials",
        json={"label": "Incident reporting"}, headers=admin.headers,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
def checkin_world(database_url: str, tmp_path: Path) -> Iterator[CheckinWorld]:
    settings = make_settings(database_url, tmp_path / "var", checkin_sweep_seconds=0)
    with serve(settings) as server, server.client() as client:
        world = World(server=server, client=client)
        seed_world(world)
        admin = world.device(Role.INSTITUTION_ADMIN, "a")
        built = CheckinWorld(world=world, admin=admin, credential=new_credential(world, admin))
        try:
            yield built
        finally:
            for person in built.sides:
                person.client.close()
