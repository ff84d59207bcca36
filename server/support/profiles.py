"""Profiles: what matching knows about a clinician, and a supporter's expertise and availability.

Every code is checked against `matching`'s vocabularies here, so what is stored can always be
turned into `matching.model` records.
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

from sqlmodel.ext.asyncio.session import AsyncSession

from matching.errors import MatchingError, UnknownSpecialty, UnknownTopic
from matching.taxonomy import Level, load_taxonomy
from matching.vocabulary import CareerStage, DailyWindow, parse_languages, parse_topics
from server.accounts.roles import Role
from server.db.changes import touch_supporter
from server.db.models import Account, Profile, SupporterProfile
from server.errors import Conflict, Forbidden, InvalidInput, NotFound

__all__ = [
    "MAX_CAP",
    "check_specialty",
    "get_profile",
    "get_supporter_profile",
    "matching_input",
    "set_availability",
    "set_profile",
    "set_supporter_profile",
    "utc_offset_minutes",
]

MAX_CAP = 50
MAX_LANGUAGES = 10
MAX_WINDOWS = 7
CAN_ASK = frozenset({Role.CLINICIAN, Role.SUPPORTER})


def check_specialty(code: str) -> str:
    """A selectable taxonomy code (a classification or specialization), else `InvalidInput`."""
    taxonomy = load_taxonomy()
    if code not in taxonomy or taxonomy.get(code).level is Level.GROUPING:
        raise InvalidInput("specialty: unknown specialty code; GET /api/v1/specialties lists them")
    return code


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_time_zone(name: str) -> str:
    if name not in _time_zones():
        raise InvalidInput("time_zone: unknown time zone; use an IANA name such as Europe/Paris")
    return name


def utc_offset_minutes(time_zone: str, *, now: datetime) -> int:
    """The zone's offset from UTC in the UTC hour of `now`, in minutes (as of the start of that
    hour: a zone that changes its offset off the hour is late by the rest of that hour)."""
    return _offset_in_hour(time_zone, int(now.timestamp()) // 3600)


@lru_cache(maxsize=4096)
def _offset_in_hour(time_zone: str, hour: int) -> int:
    # Cached per (zone, hour): a pool of 10^5 supporters has a few hundred zones at most.
    at = datetime.fromtimestamp(hour * 3600, UTC)
    offset = at.astimezone(zoneinfo.ZoneInfo(time_zone)).utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)


def matching_input(field: str, error: MatchingError) -> InvalidInput:
    """A safe `InvalidInput` for a vocabulary error. `matching`'s own messages name the bad
    value, which is the caller's input and must not be echoed (it may be anything)."""
    if isinstance(error, UnknownTopic):
        return InvalidInput(f"{field}: unknown topic code")
    if isinstance(error, UnknownSpecialty):
        return InvalidInput(f"{field}: unknown specialty code; GET /api/v1/specialties lists them")
    if field.endswith("languages"):
        return InvalidInput(f"{field}: use ISO 639-1 codes such as 'en'")
    if field == "daily_hours":
        return InvalidInput(f"{field}: a window must not be empty or the whole day")
    return InvalidInput(f"{field}: not an accepted value")


async def get_profile(session: AsyncSession, *, account_id: uuid.UUID) -> Profile:
    profile = await session.get(Profile, account_id)
    if profile is None:
        raise NotFound("no profile yet: PUT /api/v1/profile first")
    return profile


async def set_profile(
    session: AsyncSession,
    *,
    account: Account,
    specialty: str,
    years_experience: int,
    career_stage: str,
    languages: Sequence[str],
    time_zone: str,
    now: datetime,
) -> Profile:
    """Create or replace the caller's profile. Raises `InvalidInput` for an unknown code."""
    if account.role not in CAN_ASK:
        raise Forbidden("only clinicians and supporters have a profile")
    check_specialty(specialty)
    try:
        stage = CareerStage(career_stage)
    except ValueError:
        raise InvalidInput(
            "career_stage: unknown career stage; one of " + ", ".join(s.value for s in CareerStage)
        ) from None
    if not 1 <= len(languages) <= MAX_LANGUAGES:
        raise InvalidInput(f"give 1-{MAX_LANGUAGES} languages")
    try:
        codes = sorted(parse_languages(languages))
    except MatchingError as exc:
        raise matching_input("languages", exc) from None
    _check_time_zone(time_zone)
    profile = await session.get(Profile, account.id)
    if profile is None:
        profile = Profile(
            account_id=account.id,
            specialty=specialty,
            years_experience=years_experience,
            career_stage=stage.value,
            languages=codes,
            time_zone=time_zone,
            updated_at=now,
        )
    profile.specialty = specialty
    profile.years_experience = years_experience
    profile.career_stage = stage.value
    profile.languages = codes
    profile.time_zone = time_zone
    profile.updated_at = now
    session.add(profile)
    await session.flush()
    if account.role == Role.SUPPORTER:
        touch_supporter(session, account.id)
    return profile


async def get_supporter_profile(
    session: AsyncSession, *, account_id: uuid.UUID
) -> SupporterProfile:
    found = await session.get(SupporterProfile, account_id)
    if found is None:
        raise NotFound("no supporter profile yet: PUT /api/v1/supporter-profile first")
    return found


def _windows(hours: Sequence[tuple[int, int]]) -> list[list[int]]:
    if len(hours) > MAX_WINDOWS:
        raise InvalidInput(f"give at most {MAX_WINDOWS} daily windows")
    try:
        return [[w.start, w.end] for w in (DailyWindow(start, end) for start, end in hours)]
    except MatchingError as exc:
        raise matching_input("daily_hours", exc) from None


async def set_supporter_profile(
    session: AsyncSession,
    *,
    account: Account,
    topic_expertise: Sequence[str],
    concurrent_cap: int,
    weekly_cap: int,
    available: bool,
    daily_hours: Sequence[tuple[int, int]],
    now: datetime,
) -> SupporterProfile:
    """Create or replace the supporter's profile. Needs the clinician profile first (Conflict)."""
    if account.role != Role.SUPPORTER:
        raise Forbidden("only supporters have a supporter profile")
    if await session.get(Profile, account.id) is None:
        raise Conflict("set your profile (PUT /api/v1/profile) before your supporter profile")
    try:
        topics = sorted(parse_topics(topic_expertise))
    except MatchingError as exc:
        raise matching_input("topic_expertise", exc) from None
    for name, cap in (("concurrent_cap", concurrent_cap), ("weekly_cap", weekly_cap)):
        if not 0 <= cap <= MAX_CAP:
            raise InvalidInput(f"{name} must be within 0..{MAX_CAP}")
    windows = _windows(daily_hours)
    found = await session.get(SupporterProfile, account.id)
    if found is None:
        found = SupporterProfile(
            account_id=account.id,
            topic_expertise=[],
            concurrent_cap=0,
            weekly_cap=0,
            available=False,
            daily_hours=[],
            updated_at=now,
        )
    found.topic_expertise = [t.value for t in topics]
    found.concurrent_cap = concurrent_cap
    found.weekly_cap = weekly_cap
    found.available = available
    found.daily_hours = windows
    found.updated_at = now
    session.add(found)
    await session.flush()
    touch_supporter(session, account.id)
    return found


async def set_availability(
    session: AsyncSession, *, account: Account, available: bool, now: datetime
) -> SupporterProfile:
    """Toggle available/away. Pending offers stay answerable either way."""
    found = await get_supporter_profile(session, account_id=account.id)
    found.available = available
    found.updated_at = now
    session.add(found)
    await session.flush()
    touch_supporter(session, account.id)
    return found
