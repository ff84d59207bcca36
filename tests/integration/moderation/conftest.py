"""Close every SDK client a moderation test opened (their sockets would leak otherwise)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.moderation.desk import OPEN_SIDES


@pytest.fixture(autouse=True)
def _close_sides() -> Iterator[None]:
    yield
    while OPEN_SIDES:
        OPEN_SIDES.pop().client.close()
