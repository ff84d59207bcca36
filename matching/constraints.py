"""Hard constraints, one pair at a time: the reference the vectorised filters in
:mod:`matching.pool` are tested against, and what the server re-checks before it reserves.

Every constraint is a filter, never a weight: a pair that breaks one is not a candidate at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from matching.errors import InvalidRequest
from matching.model import Policy, Supporter, SupportRequest
from matching.taxonomy import Taxonomy
from matching.vocabulary import SLOTS_PER_DAY, Urgency, slot_mask

__all__ = [
    "WEEK",
    "Violation",
    "check_now",
    "current_slot",
    "is_feasible",
    "violations",
    "weekly_count",
]

WEEK = timedelta(days=7)


class Violation(StrEnum):
    SAME_PERSON = "same-person"
    SAME_INSTITUTION = "same-institution"
    OTHER_NETWORK = "other-network"
    NO_SHARED_LANGUAGE = "no-shared-language"
    NOT_ACCEPTING = "not-accepting"
    NOT_AVAILABLE_NOW = "not-available-now"
    CONCURRENT_CAP = "concurrent-cap"
    WEEKLY_CAP = "weekly-cap"
    BLOCKED = "blocked"
    OTHER_SPECIALTY = "other-specialty"


def check_now(now: datetime) -> float:
    """Validate ``now`` (timezone-aware) and return it as POSIX seconds."""
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise InvalidRequest("now must be a timezone-aware datetime")
    return now.timestamp()


def current_slot(now: datetime) -> int:
    """The UTC half-hour slot (0..47) that ``now`` falls in."""
    seconds = int(check_now(now)) % 86_400
    return seconds // 1800 % SLOTS_PER_DAY


def weekly_count(supporter: Supporter, now: datetime) -> int:
    """Assignments that count against the weekly cap at ``now``: those after ``now - 7 days``."""
    cutoff = now - WEEK
    return sum(1 for t in supporter.recent_assignments if t > cutoff)


def violations(
    request: SupportRequest,
    supporter: Supporter,
    *,
    now: datetime,
    policy: Policy,
    taxonomy: Taxonomy,
) -> tuple[Violation, ...]:
    """Every hard constraint the pair breaks, in a fixed order (empty: feasible)."""
    check_now(now)
    found: list[Violation] = []
    if supporter.supporter_id == request.requester_id:
        found.append(Violation.SAME_PERSON)
    if supporter.institution_id == request.institution_id:
        found.append(Violation.SAME_INSTITUTION)
    if policy.same_network_only and supporter.network_id != request.network_id:
        found.append(Violation.OTHER_NETWORK)
    if not supporter.languages & request.languages:
        found.append(Violation.NO_SHARED_LANGUAGE)
    if not supporter.accepting:
        found.append(Violation.NOT_ACCEPTING)
    if policy.urgent_needs_available_now and request.urgency is Urgency.URGENT:
        hours = slot_mask(supporter.availability, supporter.utc_offset_minutes)
        if not (hours >> current_slot(now)) & 1:
            found.append(Violation.NOT_AVAILABLE_NOW)
    if supporter.current_load >= supporter.concurrent_cap:
        found.append(Violation.CONCURRENT_CAP)
    if weekly_count(supporter, now) >= supporter.weekly_cap:
        found.append(Violation.WEEKLY_CAP)
    if (
        supporter.supporter_id in request.blocked_supporter_ids
        or request.requester_id in supporter.blocked_requester_ids
    ):
        found.append(Violation.BLOCKED)
    if (
        request.same_specialty_only
        and taxonomy.similarity(request.specialty, supporter.specialty)
        < policy.same_specialty_min_similarity
    ):
        found.append(Violation.OTHER_SPECIALTY)
    return tuple(found)


def is_feasible(
    request: SupportRequest,
    supporter: Supporter,
    *,
    now: datetime,
    policy: Policy,
    taxonomy: Taxonomy,
) -> bool:
    """True when the pair breaks no hard constraint."""
    return not violations(request, supporter, now=now, policy=policy, taxonomy=taxonomy)
