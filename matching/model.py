"""The records the matcher works on: frozen dataclasses, validated on construction.

The server maps its rows to these. Ids are opaque strings: ``requester_id`` and
``supporter_id`` live in one namespace (account ids), so the same person is recognised on both
sides. Times are timezone-aware :class:`~datetime.datetime` values passed in by the caller.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from matching.errors import InvalidPolicy, InvalidRequest, InvalidSupporter, MatchingError
from matching.vocabulary import CareerStage, DailyWindow, Topic, Urgency, parse_language

__all__ = [
    "DEFAULT_POLICY",
    "Assignment",
    "BatchResult",
    "Candidate",
    "Criterion",
    "Explanation",
    "ExplanationPart",
    "Policy",
    "SupportRequest",
    "Supporter",
    "Unmatched",
    "UnmatchedReason",
]

_MAX_YEARS = 70.0
_MIN_OFFSET, _MAX_OFFSET = -12 * 60, 14 * 60


def _check_common(
    error: type[MatchingError],
    *,
    ids: dict[str, object],
    years: float,
    languages: frozenset[str],
    utc_offset_minutes: int,
    availability: tuple[DailyWindow, ...],
    topics: frozenset[Topic],
    stage: object,
) -> None:
    for name, value in ids.items():
        if not isinstance(value, str) or not value:
            raise error(f"{name} must be a non-empty string, got {value!r}")
    if not isinstance(years, int | float) or not 0 <= years <= _MAX_YEARS:
        raise error(f"years_experience must be within 0..{_MAX_YEARS:g}, got {years!r}")
    if not isinstance(languages, frozenset) or not languages:
        raise error("languages must be a non-empty frozenset of ISO 639-1 codes")
    try:
        for code in languages:
            parse_language(code)
    except InvalidRequest as exc:
        raise error(str(exc)) from None
    if isinstance(utc_offset_minutes, bool) or not isinstance(utc_offset_minutes, int):
        raise error("utc_offset_minutes must be an int")
    if not _MIN_OFFSET <= utc_offset_minutes <= _MAX_OFFSET:
        raise error(f"utc_offset_minutes must be within -720..840, got {utc_offset_minutes}")
    if not isinstance(availability, tuple) or not all(
        isinstance(w, DailyWindow) for w in availability
    ):
        raise error("availability must be a tuple of DailyWindow")
    if not isinstance(topics, frozenset) or not all(isinstance(t, Topic) for t in topics):
        raise error("topics must be a frozenset of Topic (use parse_topics)")
    if not isinstance(stage, CareerStage):
        raise error(f"career_stage must be a CareerStage, got {stage!r}")


@dataclass(frozen=True, slots=True)
class SupportRequest:
    """A clinician asking for a peer. ``specialty`` is a taxonomy code; it is checked against the
    taxonomy when the request is ranked. ``blocked_supporter_ids`` holds the supporters this
    requester must never meet (the server includes blocks in both directions).

    ``same_specialty_only`` turns specialty into a hard filter (similarity at least
    :attr:`Policy.same_specialty_min_similarity`, i.e. the same classification by default).
    Raises :class:`InvalidRequest` on construction when a field is unusable.
    """

    request_id: str
    requester_id: str
    institution_id: str
    network_id: str
    specialty: str
    years_experience: float
    career_stage: CareerStage
    topics: frozenset[Topic]
    languages: frozenset[str]
    utc_offset_minutes: int = 0
    availability: tuple[DailyWindow, ...] = ()
    urgency: Urgency = Urgency.ROUTINE
    same_specialty_only: bool = False
    blocked_supporter_ids: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        _check_common(
            InvalidRequest,
            ids={
                "request_id": self.request_id,
                "requester_id": self.requester_id,
                "institution_id": self.institution_id,
                "network_id": self.network_id,
                "specialty": self.specialty,
            },
            years=self.years_experience,
            languages=self.languages,
            utc_offset_minutes=self.utc_offset_minutes,
            availability=self.availability,
            topics=self.topics,
            stage=self.career_stage,
        )
        if not isinstance(self.urgency, Urgency):
            raise InvalidRequest(f"urgency must be an Urgency, got {self.urgency!r}")
        if not isinstance(self.blocked_supporter_ids, frozenset):
            raise InvalidRequest("blocked_supporter_ids must be a frozenset of ids")


@dataclass(frozen=True, slots=True)
class Supporter:
    """A trained peer supporter as the matcher sees them.

    ``accepting`` is the supporter's own on/off switch. ``availability`` holds daily local-time
    windows (empty: :data:`~matching.vocabulary.WAKING_HOURS`). ``recent_assignments`` holds the
    start times of assignments, at least all of the last seven days; the weekly cap counts those
    after ``now - 7 days``. ``blocked_requester_ids`` are people this supporter must never meet.
    Raises :class:`InvalidSupporter` on construction when a field is unusable.
    """

    supporter_id: str
    institution_id: str
    network_id: str
    specialty: str
    years_experience: float
    career_stage: CareerStage
    languages: frozenset[str]
    utc_offset_minutes: int = 0
    availability: tuple[DailyWindow, ...] = ()
    topic_expertise: frozenset[Topic] = field(default_factory=frozenset)
    accepting: bool = True
    concurrent_cap: int = 2
    weekly_cap: int = 3
    current_load: int = 0
    recent_assignments: tuple[datetime, ...] = ()
    blocked_requester_ids: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        _check_common(
            InvalidSupporter,
            ids={
                "supporter_id": self.supporter_id,
                "institution_id": self.institution_id,
                "network_id": self.network_id,
                "specialty": self.specialty,
            },
            years=self.years_experience,
            languages=self.languages,
            utc_offset_minutes=self.utc_offset_minutes,
            availability=self.availability,
            topics=self.topic_expertise,
            stage=self.career_stage,
        )
        for name in ("concurrent_cap", "weekly_cap", "current_load"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
                raise InvalidSupporter(f"{name} must be an int within 0..1000, got {value!r}")
        if any(t.tzinfo is None for t in self.recent_assignments):
            raise InvalidSupporter("recent_assignments must be timezone-aware datetimes")
        if not isinstance(self.blocked_requester_ids, frozenset):
            raise InvalidSupporter("blocked_requester_ids must be a frozenset of ids")


@dataclass(frozen=True, slots=True)
class Policy:
    """Weights and switches. Every weight is a non-negative number of points.

    The score is ``specialty + experience + topics + time zone - load`` where each criterion is
    its weight times a value in [0, 1] (see :mod:`matching.score`). Experience fit is the
    piecewise-linear curve through ``(experience_gap_years[i], experience_fit[i])`` of the gap
    *supporter years - requester years*: similar or somewhat more senior is best.
    """

    specialty_weight: float = 3.0
    experience_weight: float = 2.0
    topic_weight: float = 1.5
    timezone_weight: float = 1.0
    load_weight: float = 1.0
    experience_gap_years: tuple[float, ...] = (-10.0, -5.0, -1.0, 0.0, 2.0, 10.0, 20.0, 30.0)
    experience_fit: tuple[float, ...] = (0.0, 0.25, 0.7, 0.85, 1.0, 1.0, 0.6, 0.4)
    overlap_target_hours: float = 4.0
    urgent_needs_available_now: bool = True
    same_network_only: bool = False
    same_specialty_min_similarity: float = 0.7

    def __post_init__(self) -> None:
        for name in (
            "specialty_weight",
            "experience_weight",
            "topic_weight",
            "timezone_weight",
            "load_weight",
        ):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise InvalidPolicy(f"{name} must be a finite number >= 0, got {value!r}")
        xs, ys = self.experience_gap_years, self.experience_fit
        if len(xs) != len(ys) or len(xs) < 2:
            raise InvalidPolicy("experience_gap_years and experience_fit need equal lengths >= 2")
        if any(b <= a for a, b in itertools.pairwise(xs)):
            raise InvalidPolicy("experience_gap_years must be strictly increasing")
        if any(not 0.0 <= y <= 1.0 for y in ys):
            raise InvalidPolicy("experience_fit values must be within [0, 1]")
        if not 0.5 <= self.overlap_target_hours <= 24:
            raise InvalidPolicy("overlap_target_hours must be within 0.5..24")
        if not 0.0 <= self.same_specialty_min_similarity <= 1.0:
            raise InvalidPolicy("same_specialty_min_similarity must be within [0, 1]")

    @property
    def overlap_target_slots(self) -> int:
        return max(1, round(self.overlap_target_hours * 2))


DEFAULT_POLICY = Policy()


class Criterion(StrEnum):
    SPECIALTY = "specialty"
    EXPERIENCE = "experience"
    TOPICS = "topics"
    TIMEZONE = "timezone"
    LOAD = "load"


@dataclass(frozen=True, slots=True)
class ExplanationPart:
    """One criterion: ``points = sign * weight * value`` with ``value`` in [0, 1]. The load part
    has sign -1 (a discount). ``phrase`` is safe to show the supporter, or None."""

    criterion: Criterion
    weight: float
    value: float
    points: float
    phrase: str | None


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a supporter scored what they did. :attr:`score` is the sum of the parts' points, in
    criterion order; :attr:`summary` is a short sentence without any identity in it."""

    parts: tuple[ExplanationPart, ...]

    @property
    def score(self) -> float:
        total = 0.0
        for part in self.parts:
            total += part.points
        return total

    @property
    def summary(self) -> str:
        return ", ".join(p.phrase for p in self.parts if p.phrase) or "available to talk"

    def part(self, criterion: Criterion) -> ExplanationPart:
        return next(p for p in self.parts if p.criterion is criterion)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked supporter for one request."""

    supporter_id: str
    score: float
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class Assignment:
    """A request paired with a supporter by a batch solver. ``score`` is the pair's score at the
    start of the window (the in-window load discount is in :attr:`BatchResult.objective`)."""

    request_id: str
    supporter_id: str
    score: float
    explanation: Explanation


class UnmatchedReason(StrEnum):
    NO_FEASIBLE_SUPPORTER = "no-feasible-supporter"
    CAPACITY_TAKEN = "capacity-taken"


@dataclass(frozen=True, slots=True)
class Unmatched:
    request_id: str
    reason: UnmatchedReason


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The outcome of assigning one window of requests.

    ``objective`` = sum of assignment scores minus the extra load discount of every supporter's
    second, third, ... assignment within the window. Solvers maximise the number of matched
    requests first and the objective second.
    """

    assignments: tuple[Assignment, ...]
    unmatched: tuple[Unmatched, ...]
    objective: float

    @property
    def matched(self) -> int:
        return len(self.assignments)
