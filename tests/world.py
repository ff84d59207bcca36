"""A small world per test: a live server, a network with institutions, and devices for roles.

Tests build one through the `world` fixture (tests/integration/conftest.py) or, when they need
their own settings, with `serve(make_settings(...))` and `seed_world`.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from server.accounts import directory, invites
from server.accounts.roles import Role
from server.config import Settings
from server.db.engine import Database
from tests.devices import Device
from tests.live import LiveServer


@dataclass
class World:
    server: LiveServer
    client: httpx.Client
    institutions: dict[str, uuid.UUID] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.settings.database_url

    def run(self, coroutine_factory):
        """Run `coroutine_factory(session)` against the server's database and commit."""

        async def go():
            db = Database(self.url)
            try:
                async with db.session() as session:
                    result = await coroutine_factory(session)
                    await session.commit()
                    return result
            finally:
                await db.dispose()

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(go())
        # Called from an async test: run on a loop of its own in another thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, go()).result()

    def metrics(self) -> str:
        """The Prometheus text of /metrics, with the test deployments' metrics token."""
        return self.client.get("/metrics", headers=METRICS_HEADERS).text

    def invite(self, role: Role, institution: str = "a", ttl: timedelta = timedelta(days=1)) -> str:
        async def make(session):
            issued = await invites.create_invite(
                session, actor=None, institution_id=self.institutions[institution], role=role,
                ttl=ttl, now=datetime.now(UTC), max_open=10_000,
            )  # fmt: skip
            return issued.code

        code: str = self.run(make)
        return code

    def device(self, role: Role, institution: str = "a") -> Device:
        """A registered, logged-in device with `role` at `institution`."""
        device = Device()
        device.register(self.client, self.invite(role, institution), self.server.settings.origin)
        device.login(self.client)
        return device


def seed_world(world: World) -> None:
    async def seed(session):
        now = datetime.now(UTC)
        north = await directory.create_network(session, slug="north", name="North", now=now)
        south = await directory.create_network(session, slug="south", name="South", now=now)
        for key, network in (("a", north), ("b", north), ("c", south)):
            institution = await directory.create_institution(
                session, network_id=network.id, slug=f"inst-{key}", name=f"Institution {key}",
                now=now,
            )  # fmt: skip
            world.institutions[key] = institution.id

    world.run(seed)


# Test deployments are monitored: /metrics answers this bearer token (docs/operations.md).
METRICS_TOKEN = "test-metrics-token-" + "m" * 24
METRICS_HEADERS = {"authorization": f"Bearer {METRICS_TOKEN}"}


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    fields: dict[str, object] = {"metrics_token": METRICS_TOKEN, **overrides}
    return Settings(database_url=database_url, data_dir=data_dir, **fields)
