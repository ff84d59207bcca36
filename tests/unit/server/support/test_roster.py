"""A network's pool in the roster follows time without the database: offers expire, and a time
zone's offset changes at its transition."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from server.support.pool import Load
from server.support.roster import _Network

NETWORK = uuid.uuid4()


class Row(NamedTuple):  # what `pool.supporter_rows` yields, by attribute
    id: uuid.UUID
    institution_id: uuid.UUID
    network_id: uuid.UUID
    role: str
    disabled_at: datetime | None
    specialty: str
    years_experience: int
    career_stage: str
    languages: list[str]
    time_zone: str
    topic_expertise: list[str]
    concurrent_cap: int
    weekly_cap: int
    available: bool
    daily_hours: list[list[int]]


def row(time_zone: str = "America/New_York", **changes: Any) -> Row:
    base = Row(uuid.uuid4(), uuid.uuid4(), NETWORK, "supporter", None, "207P00000X", 10,
               "mid-career", ["en"], time_zone, ["burnout"], 2, 5, True, [])  # fmt: skip
    return base._replace(**changes)


def test_a_pending_offer_stops_counting_when_it_expires() -> None:
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    busy = row()
    load = Load(rooms=1, pending=(now + timedelta(minutes=10),), week=(now,))
    network = _Network.build(NETWORK, [busy], {busy.id: load}, now)
    assert network.pool.supporter(str(busy.id)).current_load == 2
    assert not network.pool.open[0]  # at the concurrent cap of 2
    network.advance(now + timedelta(minutes=9))
    assert network.pool.supporter(str(busy.id)).current_load == 2
    network.advance(now + timedelta(minutes=10))
    record = network.pool.supporter(str(busy.id))
    assert record.current_load == 1 and record.recent_assignments == (now,)
    assert network.pool.open[0]


def test_offsets_follow_daylight_saving_time() -> None:
    before = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)  # 01:30 EST; clocks go forward at 07:00 UTC
    east, tokyo = row("America/New_York"), row("Asia/Tokyo")
    network = _Network.build(NETWORK, [east, tokyo], {}, before)
    assert network.pool.supporter(str(east.id)).utc_offset_minutes == -300
    hours = network.pool.hour_bits.copy()
    network.advance(before + timedelta(hours=1))
    assert network.pool.supporter(str(east.id)).utc_offset_minutes == -240
    assert network.pool.supporter(str(tokyo.id)).utc_offset_minutes == 540
    assert network.pool.hour_bits[0] != hours[0] and network.pool.hour_bits[1] == hours[1]


def test_put_and_discard_keep_the_pool_and_the_rows_together() -> None:
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    first, second = row(), row()
    network = _Network.build(NETWORK, [first, second], {}, now)
    network.put(first._replace(available=False), Load(), now)
    assert not network.pool.supporter(str(first.id)).accepting
    assert network.pool.row(str(first.id)) == 0  # replaced in place
    network.discard(first.id)
    network.discard(first.id)  # twice is harmless
    assert len(network) == 1 and len(network.pool) == 1 and str(first.id) not in network.pool
    network.put(first, Load(pending=(now + timedelta(minutes=1),)), now)
    network.advance(now + timedelta(minutes=2))
    assert network.pool.supporter(str(first.id)).current_load == 0
