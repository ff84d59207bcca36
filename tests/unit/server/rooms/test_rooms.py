"""What a peer sees of a member: coarse experience bands."""

from __future__ import annotations

import pytest

from server.rooms import rooms


@pytest.mark.parametrize(
    ("years", "band"),
    [(0, "under 5 years"), (4, "under 5 years"), (5, "5-9 years"), (9, "5-9 years"),
     (10, "10-19 years"), (19, "10-19 years"), (20, "20+ years"), (70, "20+ years")],
)  # fmt: skip
def test_experience_bands(years: int, band: str) -> None:
    assert rooms.experience_band(years) == band
