"""Small closed vocabularies: topics, career stages, urgency, languages, daily hours.

Every value that crosses the server boundary is a plain string; the parse functions here turn
strings into members and raise a :mod:`matching.errors` exception naming the bad value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from matching.errors import InvalidRequest, UnknownTopic

__all__ = [
    "SLOTS_PER_DAY",
    "TRAINEE_STAGES",
    "WAKING_HOURS",
    "CareerStage",
    "DailyWindow",
    "Topic",
    "Urgency",
    "list_topics",
    "parse_language",
    "parse_languages",
    "parse_topic",
    "parse_topics",
    "slot_mask",
]


class Topic(StrEnum):
    """What a clinician wants to talk about. Codes are stable; labels are for pickers."""

    ADVERSE_EVENT = "adverse-event"
    PATIENT_DEATH = "patient-death"
    MEDICAL_ERROR = "medical-error"
    SECOND_VICTIM = "second-victim"
    MORAL_INJURY = "moral-injury"
    LITIGATION = "litigation"
    BURNOUT = "burnout"
    HARASSMENT = "harassment"
    WORKPLACE_VIOLENCE = "workplace-violence"
    WORK_LIFE = "work-life"
    CAREER = "career"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _TOPIC_LABELS[self]

    @property
    def bit(self) -> int:
        return 1 << _TOPIC_ORDER[self]


_TOPIC_LABELS: dict[Topic, str] = {
    Topic.ADVERSE_EVENT: "adverse event",
    Topic.PATIENT_DEATH: "death of a patient",
    Topic.MEDICAL_ERROR: "medical error",
    Topic.SECOND_VICTIM: "second victim experience",
    Topic.MORAL_INJURY: "moral injury",
    Topic.LITIGATION: "litigation or complaint",
    Topic.BURNOUT: "burnout",
    Topic.HARASSMENT: "harassment or discrimination",
    Topic.WORKPLACE_VIOLENCE: "workplace violence",
    Topic.WORK_LIFE: "work and life",
    Topic.CAREER: "career and training",
    Topic.OTHER: "something else",
}
_TOPIC_ORDER: dict[Topic, int] = {topic: i for i, topic in enumerate(Topic)}


def parse_topic(value: str) -> Topic:
    """Return the topic for a code such as ``"moral-injury"``; raise :class:`UnknownTopic`."""
    try:
        return Topic(value)
    except ValueError:
        raise UnknownTopic(value) from None


def parse_topics(values: Iterable[str]) -> frozenset[Topic]:
    """Parse a collection of topic codes; the first unknown one raises :class:`UnknownTopic`."""
    return frozenset(parse_topic(v) for v in values)


def list_topics() -> list[tuple[str, str]]:
    """``(code, label)`` pairs in a stable order, for a picker."""
    return [(t.value, t.label) for t in Topic]


class CareerStage(StrEnum):
    """Where someone is in a clinical career. Early career: up to ~5 years after training;
    senior: ~20 years or more."""

    STUDENT = "student"
    RESIDENT = "resident"
    FELLOW = "fellow"
    EARLY_CAREER = "early-career"
    MID_CAREER = "mid-career"
    SENIOR = "senior"


TRAINEE_STAGES = frozenset({CareerStage.STUDENT, CareerStage.RESIDENT, CareerStage.FELLOW})


class Urgency(StrEnum):
    """How soon the requester wants to talk. ``URGENT`` requests only go to supporters whose
    availability covers the current half hour (see :class:`matching.model.Policy`)."""

    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"


_LANGUAGE = re.compile(r"[a-z]{2}")


def parse_language(value: str) -> str:
    """Validate an ISO 639-1 code (two lower-case letters, e.g. ``"en"``) and return it.

    The check is on the shape only: the full ISO list changes and the server's picker owns it.
    """
    if not isinstance(value, str) or _LANGUAGE.fullmatch(value) is None:
        raise InvalidRequest(f"language must be an ISO 639-1 code such as 'en', got {value!r}")
    return value


def parse_languages(values: Iterable[str]) -> frozenset[str]:
    """Validate a collection of ISO 639-1 codes."""
    return frozenset(parse_language(v) for v in values)


SLOTS_PER_DAY = 48  # half hours: offsets such as +05:30 stay exact; +05:45 rounds to +06:00


@dataclass(frozen=True, slots=True)
class DailyWindow:
    """A daily local-time window ``[start, end)`` in minutes after midnight.

    ``end`` may be smaller than ``start`` for a window that crosses midnight (22:00-02:00).
    Times are rounded to the half hour. Raises :class:`InvalidRequest` when out of range.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1440:
                raise InvalidRequest(f"window {name} must be minutes in 0..1440, got {value!r}")
        if self.start % 1440 == self.end % 1440:
            raise InvalidRequest("a daily window must not be empty or the whole day")

    @classmethod
    def hours(cls, start_hour: float, end_hour: float) -> DailyWindow:
        """Shorthand: ``DailyWindow.hours(8, 22)`` is 08:00-22:00."""
        return cls(round(start_hour * 60), round(end_hour * 60))


WAKING_HOURS = (DailyWindow.hours(8, 22),)


def slot_mask(windows: Iterable[DailyWindow], utc_offset_minutes: int) -> int:
    """The UTC half-hour slots (bit ``i`` = ``[30 i, 30 i + 30)`` minutes UTC) the windows cover.

    An empty ``windows`` means :data:`WAKING_HOURS`.
    """
    windows = tuple(windows) or WAKING_HOURS
    mask = 0
    shift = round(utc_offset_minutes / 30)
    for w in windows:
        first = round(w.start / 30)
        count = (round(w.end / 30) - first) % SLOTS_PER_DAY
        for local in range(first, first + count):
            mask |= 1 << ((local - shift) % SLOTS_PER_DAY)
    return mask
