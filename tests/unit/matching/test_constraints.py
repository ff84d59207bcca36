"""Each hard constraint on its own, on hand-built pairs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from matching import (
    DEFAULT_POLICY,
    DailyWindow,
    Policy,
    Taxonomy,
    Urgency,
    Violation,
    violations,
    weekly_count,
)


def _check(request: Any, supporter: Any, now: datetime, taxonomy: Taxonomy,
           policy: Policy = DEFAULT_POLICY) -> tuple[Violation, ...]:
    return violations(request, supporter, now=now, policy=policy, taxonomy=taxonomy)


def test_base_pair_is_feasible(
    make_request: Callable[..., Any], make_supporter: Callable[..., Any], now: datetime,
    taxonomy: Taxonomy,
) -> None:
    assert _check(make_request(), make_supporter(), now, taxonomy) == ()


@pytest.mark.parametrize(
    ("request_changes", "supporter_changes", "expected"),
    [
        ({"requester_id": "s1"}, {}, Violation.SAME_PERSON),
        ({}, {"institution_id": "inst-a"}, Violation.SAME_INSTITUTION),
        ({"languages": frozenset({"es"})}, {}, Violation.NO_SHARED_LANGUAGE),
        ({}, {"accepting": False}, Violation.NOT_ACCEPTING),
        ({}, {"current_load": 2, "concurrent_cap": 2}, Violation.CONCURRENT_CAP),
        ({}, {"weekly_cap": 0}, Violation.WEEKLY_CAP),
        ({"blocked_supporter_ids": frozenset({"s1"})}, {}, Violation.BLOCKED),
        ({}, {"blocked_requester_ids": frozenset({"c1"})}, Violation.BLOCKED),
        ({"same_specialty_only": True}, {"specialty": "207N00000X"}, Violation.OTHER_SPECIALTY),
        # 15:00 UTC is 07:00 in Los Angeles: outside a 09:00-17:00 window
        ({"urgency": Urgency.URGENT},
         {"utc_offset_minutes": -480, "availability": (DailyWindow.hours(9, 17),)},
         Violation.NOT_AVAILABLE_NOW),
    ],
)
def test_each_constraint(
    make_request: Callable[..., Any],
    make_supporter: Callable[..., Any],
    now: datetime,
    taxonomy: Taxonomy,
    request_changes: dict[str, Any],
    supporter_changes: dict[str, Any],
    expected: Violation,
) -> None:
    found = _check(make_request(**request_changes), make_supporter(**supporter_changes), now,
                   taxonomy)
    assert found == (expected,)


def test_other_network_only_when_the_policy_says_so(
    make_request: Callable[..., Any], make_supporter: Callable[..., Any], now: datetime,
    taxonomy: Taxonomy,
) -> None:
    request, supporter = make_request(), make_supporter(network_id="net-2")
    assert _check(request, supporter, now, taxonomy) == ()
    strict = Policy(same_network_only=True)
    assert _check(request, supporter, now, taxonomy, strict) == (Violation.OTHER_NETWORK,)


def test_weekly_cap_counts_the_last_seven_days(
    make_supporter: Callable[..., Any], now: datetime
) -> None:
    week = timedelta(days=7)
    times = (now - week, now - week + timedelta(seconds=1), now - timedelta(hours=1))
    supporter = make_supporter(recent_assignments=times, weekly_cap=2)
    assert weekly_count(supporter, now) == 2
    assert weekly_count(supporter, now + timedelta(seconds=1)) == 1
