"""The institution's aggregate view, as a property over real API responses: whatever happened,
no response carries a count in 1..k-1 (nor 0: "fewer than k" covers it), only completed months
appear, counts at or above k are exact, and nothing else (no totals, no days) is there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.accounts.roles import Role
from server.checkins.aggregates import METRICS, last_months
from server.checkins.states import CheckinReason, CheckinStatus
from server.db.models import (
    Account,
    AdverseEventReceipt,
    CheckinOffer,
    Room,
    SupportRequest,
    TeamFlag,
)
from server.support.states import RequestStatus
from tests.integration.checkins.conftest import CheckinWorld

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
K = 5
MONTHS = 13  # the 12 shown, and the current one, which must never show
_ALLOWED_KEYS = {"institution_id", "k", "months", "month", "value", "display", *METRICS}


def _moment(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, 1, hour, tzinfo=UTC) + timedelta(days=day)


def _ints(node: Any, path: str = "") -> list[tuple[str, int]]:
    if isinstance(node, bool):
        return []
    if isinstance(node, int):
        return [(path, node)]
    if isinstance(node, dict):
        return [found for k, v in node.items() for found in _ints(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [found for i, v in enumerate(node) for found in _ints(v, f"{path}[{i}]")]
    return []


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def _insert(world: Any, institution_id: uuid.UUID, account_id: uuid.UUID,
            plan: list[dict[str, int]], now: datetime) -> None:  # fmt: skip
    months = [*last_months(now, months=MONTHS - 1), (now.year, now.month)]

    async def write(session: Any) -> None:
        for (year, month), wanted in zip(months, plan, strict=True):
            day_span = 27 if (year, month) != (now.year, now.month) else max(now.day - 1, 0)

            def at(i: int, year: int = year, month: int = month, span: int = day_span) -> datetime:
                return _moment(year, month, i % (span + 1), i % 24)

            for i in range(wanted["events_received"]):
                session.add(AdverseEventReceipt(institution_id=institution_id,
                                                event_key=uuid.uuid4().bytes * 2,
                                                received_at=at(i)))  # fmt: skip
            for i in range(wanted["checkins_offered"]):
                accepted = i < wanted["checkins_accepted"]
                request_id = None
                if accepted and i < wanted["conversations_held"]:
                    request = SupportRequest(
                        requester_id=account_id, status=RequestStatus.MATCHED.value,
                        topics=["adverse-event"], urgency="soon", languages=[], created_at=at(i),
                        updated_at=at(i),
                    )  # fmt: skip
                    session.add(request)
                    await session.flush()
                    session.add(Room(request_id=request.id, topics=["adverse-event"],
                                     created_at=at(i)))  # fmt: skip
                    request_id = request.id
                # Answered (a clinician has at most one open check-in): offered all the same.
                status = CheckinStatus.ACCEPTED if accepted else CheckinStatus.DECLINED
                session.add(CheckinOffer(
                    account_id=account_id, institution_id=institution_id,
                    reason=CheckinReason.EVENT.value, status=status.value, due_at=at(i),
                    created_at=at(i), offered_at=at(i), responded_at=at(i),
                    request_id=request_id,
                ))  # fmt: skip
            for i in range(wanted["teams_flagged"]):
                session.add(TeamFlag(institution_id=institution_id, team=f"t{i}",
                                     week=at(i).date(), score=3.0, flagged_at=at(i)))  # fmt: skip

    world.run(write)


def _account(world: Any, institution_id: uuid.UUID, now: datetime) -> uuid.UUID:
    account = Account(institution_id=institution_id, role=Role.CLINICIAN.value,
                      identity_key=uuid.uuid4().bytes * 2, created_at=now)  # fmt: skip

    async def add(session: Any) -> uuid.UUID:
        session.add(account)
        await session.flush()
        return account.id

    found: uuid.UUID = world.run(add)
    return found


def _clear(world: Any) -> None:
    async def wipe(session: Any) -> None:
        for table in (CheckinOffer, Room, SupportRequest, AdverseEventReceipt, TeamFlag):
            await session.exec(sa.delete(table))

    world.run(wipe)


_month_plan = st.fixed_dictionaries({
    "events_received": st.integers(0, 9),
    "checkins_offered": st.integers(0, 9),
    "checkins_accepted": st.integers(0, 9),
    "conversations_held": st.integers(0, 9),
    "teams_flagged": st.integers(0, 9),
})  # fmt: skip


def _truth(plan: dict[str, int]) -> dict[str, int]:
    offered = plan["checkins_offered"]
    accepted = min(plan["checkins_accepted"], offered)
    return {**plan, "checkins_accepted": accepted,
            "conversations_held": min(plan["conversations_held"], accepted)}  # fmt: skip


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(_month_plan, min_size=MONTHS, max_size=MONTHS),
       noise=st.lists(_month_plan, min_size=MONTHS, max_size=MONTHS))  # fmt: skip
def test_no_response_carries_a_small_count(
    checkin_world: CheckinWorld, plan: list[dict[str, int]], noise: list[dict[str, int]]
) -> None:
    world = checkin_world.world
    own, other = world.institutions["a"], world.institutions["b"]
    now = datetime.now(UTC)
    account_id = _account(world, own, now)
    _clear(world)
    _insert(world, own, account_id, plan, now)
    _insert(world, other, account_id, noise, now)  # another institution's activity
    response = world.client.get(f"/api/v1/institutions/{own}/checkins/summary",
                                headers=checkin_world.admin.headers)  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["k"] == K
    small = [(path, n) for path, n in _ints(body) if 0 <= n < K]
    assert small == []
    assert _keys(body) <= _ALLOWED_KEYS  # no totals, no days, no other breakdowns
    expected = [f"{y:04d}-{m:02d}" for y, m in last_months(now, months=12)]
    assert [m["month"] for m in body["months"]] == expected  # completed months only
    for shown, wanted in zip(body["months"], plan[:12], strict=True):
        truth = _truth(wanted)
        for metric in METRICS:
            count = shown[metric]
            if truth[metric] >= K:
                assert count == {"value": truth[metric], "display": str(truth[metric])}
            else:
                assert count == {"value": None, "display": f"fewer than {K}"}


@SQLITE_ONLY
def test_other_institutions_and_clinicians_cannot_read_it(checkin_world: CheckinWorld) -> None:
    world = checkin_world.world
    path = f"/api/v1/institutions/{world.institutions['a']}/checkins/summary"
    assert world.client.get(path, headers=world.device(Role.INSTITUTION_ADMIN, "b").headers
                            ).status_code == 403  # fmt: skip
    assert world.client.get(path, headers=world.device(Role.CLINICIAN, "a").headers
                            ).status_code == 403  # fmt: skip
    unknown = f"/api/v1/institutions/{uuid.uuid4()}/checkins/summary"
    assert world.client.get(unknown, headers=checkin_world.admin.headers).status_code == 404
