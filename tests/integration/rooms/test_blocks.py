"""Blocking twice at once (a double tap) is not an error."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from server.db.models import Block
from tests.integration.peers import count, matched_room
from tests.world import World


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_concurrent_blocks_of_one_pair(world: World) -> None:
    _asker, helper, _c_room, s_room = matched_room(world)
    path = f"/api/v1/rooms/{s_room['id']}/block"
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: helper.call("POST", path).status_code, range(4)))
    assert 500 not in statuses and 200 in statuses, statuses
    assert count(world, Block) == 1
