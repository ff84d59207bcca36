"""Pure pieces of the support path: signed bytes, pseudonym bands, code checks, time zones."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from client import messages
from server import identity, rooms
from server.errors import InvalidInput
from server.matchmaker import Periodic
from server.profiles import check_specialty, utc_offset_minutes


def test_client_signs_exactly_the_bytes_the_server_checks() -> None:
    key = bytes(range(32))
    origin = "https://peerhaven.example"
    assert messages.registration_message(
        origin=origin, invite_code="7k3m-q9rt-x2vb-hn4p", identity_key=key
    ) == identity.registration_message(
        origin=origin, invite_code="7K3MQ9RTX2VBHN4P", identity_key=key
    )
    nonce = bytes(32)
    assert messages.login_message(origin=origin, nonce=nonce, identity_key=key) == (
        identity.login_message(origin=origin, nonce=nonce, identity_key=key)
    )
    room, member = uuid.uuid4(), uuid.uuid4()
    assert messages.room_identity_payload(
        origin=origin, room_id=str(room), member_id=str(member), room_key=key
    ) == rooms.room_identity_payload(origin=origin, room_id=room, member_id=member, room_key=key)
    assert messages.ROOM_IDENTITY_DOMAIN == rooms.ROOM_IDENTITY_DOMAIN


@pytest.mark.parametrize(
    ("years", "band"),
    [(0, "under 5 years"), (4, "under 5 years"), (5, "5-9 years"), (9, "5-9 years"),
     (10, "10-19 years"), (19, "10-19 years"), (20, "20+ years"), (70, "20+ years")],
)  # fmt: skip
def test_experience_bands(years: int, band: str) -> None:
    assert rooms.experience_band(years) == band


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


async def test_periodic_jobs_survive_failures_and_stop() -> None:
    calls: list[datetime] = []

    async def job(now: datetime) -> None:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("the database blinked")

    moment = datetime(2026, 1, 1, tzinfo=UTC)
    periodic = Periodic("test-job", job, clock=lambda: moment, interval=0.01)
    periodic.start()
    for _ in range(200):
        if len(calls) >= 3:
            break
        await asyncio.sleep(0.01)
    await periodic.stop()
    seen = len(calls)
    assert seen >= 3 and calls[0] == moment
    await asyncio.sleep(0.05)
    assert len(calls) == seen  # stopped means stopped
