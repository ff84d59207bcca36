"""Records validate on construction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from matching import InvalidPolicy, InvalidRequest, InvalidSupporter, Policy


@pytest.mark.parametrize(
    "changes",
    [
        {"request_id": ""},
        {"years_experience": -1},
        {"languages": frozenset()},
        {"languages": frozenset({"english"})},
        {"utc_offset_minutes": 15 * 60},
        {"topics": frozenset({"burnout"})},
        {"career_stage": "resident"},
        {"urgency": "now"},
    ],
)
def test_bad_request_fields(make_request: Callable[..., Any], changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        make_request(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"supporter_id": ""},
        {"concurrent_cap": -1},
        {"current_load": True},
        {"recent_assignments": (datetime(2026, 1, 1),)},
        {"languages": frozenset({"EN"})},
    ],
)
def test_bad_supporter_fields(
    make_supporter: Callable[..., Any], changes: dict[str, Any]
) -> None:
    with pytest.raises(InvalidSupporter):
        make_supporter(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"load_weight": -1.0},
        {"specialty_weight": float("nan")},
        {"experience_gap_years": (0.0, 0.0), "experience_fit": (1.0, 1.0)},
        {"experience_fit": (2.0,) * 8},
        {"overlap_target_hours": 0.0},
    ],
)
def test_bad_policy(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidPolicy):
        Policy(**changes)
