"""Team load signals and the transparent team score.

An institution's systems post, per week, each team's load (signed like the AdverseEvent intake):

    {"week": "2026-03-09",            # the Monday the week starts
     "teams": [{"team": "ICU-4",      # the institution's own name for the team
                "after_hours_minutes": 96.5,   # EHR minutes outside scheduled hours, per clinician
                "adverse_events": 2,           # events reported that week
                "census": 18.4}]}              # mean occupied beds (or visits) per day

The score of a team in a week is, for each signal s, its z-score against the institution's own
baseline — every team-week of the `team_baseline_weeks` weeks before it —

    z_s = (x_s - mean(baseline_s)) / sd(baseline_s)       (0 when the baseline has fewer than
                                                            `team_min_baseline` values or sd = 0)
    score = w_after_hours·z_after_hours + w_adverse_events·z_adverse_events + w_census·z_census

and a team whose score reaches `team_threshold` is flagged: once per team and week, its linked
members (those who gave that team when they linked) get a check-in. Weights and threshold are
settings, shown to the admin with every score (`formula`).
"""

from __future__ import annotations

import math
import statistics
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.checkins import offers
from server.checkins.keys import CheckinKeys, normalise_identifier
from server.checkins.states import CheckinReason
from server.config import Settings
from server.db.models import StaffLink, TeamFlag, TeamSignal
from server.errors import Conflict, InvalidInput

__all__ = [
    "SIGNALS",
    "TeamScore",
    "Weights",
    "formula",
    "parse_signals",
    "receive_signals",
    "score_week",
    "scores_for",
]

SIGNALS = ("after_hours_minutes", "adverse_events", "census")
MAX_TEAMS = 500
_LIMITS = {"after_hours_minutes": 10_000.0, "adverse_events": 10_000.0, "census": 100_000.0}


@dataclass(frozen=True)
class Weights:
    after_hours_minutes: float
    adverse_events: float
    census: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Weights:
        return cls(settings.team_weight_after_hours, settings.team_weight_adverse_events,
                   settings.team_weight_census)  # fmt: skip

    def of(self, signal: str) -> float:
        value: float = getattr(self, signal)
        return value


@dataclass(frozen=True)
class SignalScore:
    value: float
    baseline_mean: float | None
    baseline_sd: float | None
    z: float


@dataclass(frozen=True)
class TeamScore:
    team: str
    signals: dict[str, SignalScore]
    score: float
    flagged: bool


def formula(settings: Settings) -> dict[str, Any]:
    """The score as the admin sees it: the words, the weights, the threshold, the baseline."""
    weights = Weights.from_settings(settings)
    return {
        "text": "score = sum over signals s of weight(s) * (value(s) - mean(baseline(s))) / "
        "sd(baseline(s)); the "
        f"baseline is every team-week of the institution's previous {settings.team_baseline_weeks} "
        f"weeks (a signal with fewer than {settings.team_min_baseline} baseline values, or none "
        "varying, scores 0); a team is flagged when score ≥ threshold",
        "weights": {signal: weights.of(signal) for signal in SIGNALS},
        "threshold": settings.team_threshold,
        "baseline_weeks": settings.team_baseline_weeks,
        "min_baseline": settings.team_min_baseline,
    }


def score_week(
    current: Sequence[TeamSignal],
    baseline: Sequence[TeamSignal],
    *,
    weights: Weights,
    threshold: float,
    min_baseline: int,
) -> list[TeamScore]:
    """Score each of `current` against `baseline` (pure; see the module docstring)."""
    stats: dict[str, tuple[float, float] | None] = {}
    for signal in SIGNALS:
        values = [float(getattr(row, signal)) for row in baseline]
        if len(values) < min_baseline:
            stats[signal] = None
            continue
        stats[signal] = (statistics.fmean(values), statistics.stdev(values))
    scored = []
    for row in sorted(current, key=lambda r: r.team):
        signals = {}
        total = 0.0
        for signal in SIGNALS:
            value = float(getattr(row, signal))
            found = stats[signal]
            z = 0.0
            if found is not None and found[1] > 0:
                z = (value - found[0]) / found[1]
            signals[signal] = SignalScore(
                value=value,
                baseline_mean=found[0] if found else None,
                baseline_sd=found[1] if found else None,
                z=round(z, 4),
            )
            total += weights.of(signal) * z
        score = round(total, 4)
        scored.append(TeamScore(team=row.team, signals=signals, score=score,
                                flagged=score >= threshold))  # fmt: skip
    return scored


def parse_signals(raw: Any) -> tuple[date, list[dict[str, Any]]]:
    """The documented JSON format, checked. InvalidInput (quoting nothing) otherwise."""
    if not isinstance(raw, dict) or set(raw) != {"week", "teams"}:
        raise InvalidInput("team signals are an object with exactly 'week' and 'teams'")
    try:
        week = date.fromisoformat(str(raw["week"]))
    except ValueError:
        raise InvalidInput("week must be an ISO date (YYYY-MM-DD)") from None
    if week.weekday() != 0:
        raise InvalidInput("week must be the Monday the week starts")
    teams = raw["teams"]
    if not isinstance(teams, list) or not 1 <= len(teams) <= MAX_TEAMS:
        raise InvalidInput(f"teams must be a list of 1-{MAX_TEAMS} entries")
    rows, seen = [], set()
    for entry in teams:
        if not isinstance(entry, dict) or set(entry) != {"team", *SIGNALS}:
            raise InvalidInput("each team entry has exactly 'team' and " + ", ".join(SIGNALS))
        if not isinstance(entry["team"], str):
            raise InvalidInput("team must be a string")
        team = normalise_identifier(entry["team"], what="team")
        if team in seen:
            raise InvalidInput("a team appears twice in one week")
        seen.add(team)
        row: dict[str, Any] = {"team": team}
        for signal in SIGNALS:
            value = entry[signal]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(f"{signal} must be a number")
            if not math.isfinite(value) or not 0 <= value <= _LIMITS[signal]:
                raise InvalidInput(f"{signal} must be between 0 and {_LIMITS[signal]:g}")
            row[signal] = float(value)
        rows.append(row)
    return week, rows


async def _baseline(
    session: AsyncSession, *, institution_id: uuid.UUID, week: date, weeks: int
) -> list[TeamSignal]:
    query = select(TeamSignal).where(
        TeamSignal.institution_id == institution_id,
        col(TeamSignal.week) >= week - timedelta(weeks=weeks),
        col(TeamSignal.week) < week,
    )
    return list((await session.exec(query)).all())


async def scores_for(
    session: AsyncSession, *, institution_id: uuid.UUID, week: date, settings: Settings
) -> list[TeamScore]:
    """The scores of the institution's teams in `week` (empty when it posted none)."""
    current = list((await session.exec(select(TeamSignal).where(
        TeamSignal.institution_id == institution_id, TeamSignal.week == week
    ))).all())  # fmt: skip
    baseline = await _baseline(session, institution_id=institution_id, week=week,
                               weeks=settings.team_baseline_weeks)  # fmt: skip
    return score_week(current, baseline, weights=Weights.from_settings(settings),
                      threshold=settings.team_threshold,
                      min_baseline=settings.team_min_baseline)  # fmt: skip


async def receive_signals(
    session: AsyncSession,
    *,
    institution_id: uuid.UUID,
    raw: Any,
    keys: CheckinKeys,
    settings: Settings,
    now: datetime,
) -> list[TeamScore]:
    """Store a week's signals (Conflict if that week was posted already: the baseline must not
    be rewritten after the fact), score them, flag teams at the threshold and schedule their
    linked members' check-ins. The caller commits."""
    week, rows = parse_signals(raw)
    exists = await session.exec(select(TeamSignal.id).where(
        TeamSignal.institution_id == institution_id, TeamSignal.week == week
    ).limit(1))  # fmt: skip
    if exists.first() is not None:
        raise Conflict("signals for this week were already received")
    for row in rows:
        session.add(TeamSignal(institution_id=institution_id, week=week, received_at=now, **row))
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("signals for this week were already received") from None
    scored = await scores_for(session, institution_id=institution_id, week=week,
                              settings=settings)  # fmt: skip
    for team in scored:
        if not team.flagged:
            continue
        session.add(TeamFlag(institution_id=institution_id, team=team.team, week=week,
                             score=team.score, flagged_at=now))  # fmt: skip
        members = await session.exec(select(StaffLink.account_id).where(
            StaffLink.institution_id == institution_id,
            StaffLink.team_hash == keys.team_hash(institution_id, team.team),
        ))  # fmt: skip
        await offers.schedule(
            session, account_ids=list(members.all()), institution_id=institution_id,
            reason=CheckinReason.TEAM, event_date=None,
            due_at=now + timedelta(seconds=settings.checkin_delay_seconds), now=now,
        )  # fmt: skip
    await session.flush()
    return scored
