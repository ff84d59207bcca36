"""The `world` fixture: a live server over the test's database, seeded (see tests/world.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import serve
from tests.world import World, make_settings, seed_world


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    with serve(make_settings(database_url, tmp_path / "var")) as server, server.client() as client:
        built = World(server=server, client=client)
        seed_world(built)
        yield built
