"""Profile codes come from `matching`'s vocabularies; time zones follow daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.errors import InvalidInput
from server.support.profiles import check_specialty, utc_offset_minutes


def test_specialty_codes_come_from_the_taxonomy() -> None:
    assert check_specialty("207P00000X") == "207P00000X"
    for bad in ("ph:physicians", "207P00000Y", "", "x" * 32):
        with pytest.raises(InvalidInput, match="unknown specialty"):
            check_specialty(bad)


def test_time_zone_offsets_follow_daylight_saving() -> None:
    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 12, tzinfo=UTC)
    assert utc_offset_minutes("Europe/Berlin", now=winter) == 60
    assert utc_offset_minutes("Europe/Berlin", now=summer) == 120
    assert utc_offset_minutes("Asia/Kolkata", now=summer) == 330
