"""The score of one pair, with an explanation whose parts add up to it.

Each criterion is ``weight x value`` with ``value`` in [0, 1]:

- specialty: taxonomy similarity (:data:`matching.taxonomy.SIMILARITY`);
- experience: :attr:`Policy.experience_fit` at the gap *supporter years - requester years*;
- topics: share of the request's topics in the supporter's expertise (0 when none asked);
- time zone: overlapping half hours of the two daily windows, over the policy's target, capped;
- load: the supporter's current load over their concurrent cap, *subtracted*.

:mod:`matching.online` computes the same numbers over arrays, in the same order, so the scores
agree bit for bit; tests pin that. The phrases never name a person or an institution.
"""

from __future__ import annotations

import numpy as np

from matching.model import (
    Criterion,
    Explanation,
    ExplanationPart,
    Policy,
    Supporter,
    SupportRequest,
)
from matching.taxonomy import Taxonomy
from matching.vocabulary import TRAINEE_STAGES, Topic, slot_mask

__all__ = ["experience_fit", "explain"]


def experience_fit(gap_years: float, policy: Policy) -> float:
    """Experience value in [0, 1] for ``gap_years`` = supporter years - requester years."""
    return float(np.interp(gap_years, policy.experience_gap_years, policy.experience_fit))


def _specialty_phrase(similarity: float) -> str | None:
    if similarity >= 1.0:
        return "same specialty"
    if similarity >= 0.7:
        return "closely related specialty"
    if similarity >= 0.5:
        return "related field"
    return None


def _experience_phrase(request: SupportRequest, supporter: Supporter) -> str:
    if request.career_stage in TRAINEE_STAGES and supporter.career_stage is request.career_stage:
        return f"also a {request.career_stage.value}"
    gap = supporter.years_experience - request.years_experience
    if abs(gap) <= 1:
        return "similar experience"
    if 1 < gap <= 5:
        return "a few years more experience"
    if 5 < gap <= 15:
        return "several years more experience"
    if gap > 15:
        return "many years more experience"
    if gap >= -5:
        return "a few years less experience"
    return "less experience"


def _topic_phrase(shared: list[Topic]) -> str | None:
    if not shared:
        return None
    return "has helped peers with " + ", ".join(t.label for t in shared)


def _timezone_phrase(value: float) -> str:
    if value >= 1.0:
        return "good overlap in waking hours"
    if value > 0.0:
        return "some overlap in waking hours"
    return "little overlap in waking hours"


def explain(
    request: SupportRequest,
    supporter: Supporter,
    *,
    taxonomy: Taxonomy,
    policy: Policy,
) -> Explanation:
    """Score one pair; hard constraints are *not* checked here (see :mod:`matching.constraints`).

    Raises :class:`~matching.errors.UnknownSpecialty` for a code outside ``taxonomy``.
    """
    similarity = float(
        taxonomy.similarity_matrix[taxonomy.index(request.specialty),
                                   taxonomy.index(supporter.specialty)]
    )
    gap = supporter.years_experience - request.years_experience
    fit = experience_fit(gap, policy)

    asked = sum(t.bit for t in request.topics)
    known = sum(t.bit for t in supporter.topic_expertise)
    topic_value = (asked & known).bit_count() / asked.bit_count() if asked else 0.0
    shared = list(request.topics & supporter.topic_expertise)
    shared.sort(key=lambda t: t.bit)

    overlap = (
        slot_mask(request.availability, request.utc_offset_minutes)
        & slot_mask(supporter.availability, supporter.utc_offset_minutes)
    ).bit_count()
    tz_value = min(1.0, overlap / policy.overlap_target_slots)

    load_value = (
        supporter.current_load / supporter.concurrent_cap if supporter.concurrent_cap else 1.0
    )
    parts = (
        ExplanationPart(
            Criterion.SPECIALTY,
            policy.specialty_weight,
            similarity,
            policy.specialty_weight * similarity,
            _specialty_phrase(similarity),
        ),
        ExplanationPart(
            Criterion.EXPERIENCE,
            policy.experience_weight,
            fit,
            policy.experience_weight * fit,
            _experience_phrase(request, supporter),
        ),
        ExplanationPart(
            Criterion.TOPICS,
            policy.topic_weight,
            topic_value,
            policy.topic_weight * topic_value,
            _topic_phrase(shared),
        ),
        ExplanationPart(
            Criterion.TIMEZONE,
            policy.timezone_weight,
            tz_value,
            policy.timezone_weight * tz_value,
            _timezone_phrase(tz_value),
        ),
        ExplanationPart(
            Criterion.LOAD,
            policy.load_weight,
            load_value,
            -(policy.load_weight * load_value),
            None,
        ),
    )
    return Explanation(parts)
