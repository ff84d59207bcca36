"""Peerhaven's matching engine: pairs a clinician asking for support with a trained peer
supporter from another institution.

A pure library: frozen dataclasses in, rankings and assignments out, time passed in. It imports
nothing from the server, a database, Redis or asyncio.

Typical use by the server::

    pool = SupporterPool(supporters)                 # once per worker, then keep it updated
    candidates = rank(pool, request, now=now, k=5)   # online: best first
    pool.record_assignment(candidates[0].supporter_id, at=now)
    result = assign_batch(pool, window, now=now)     # batch: a window of non-urgent requests
"""

from matching.batch import (
    DEFAULT_CANDIDATES_PER_REQUEST,
    assign_batch,
    assign_exact,
    assign_greedy,
    batch_objective,
)
from matching.constraints import Violation, is_feasible, violations, weekly_count
from matching.errors import (
    InvalidPolicy,
    InvalidRequest,
    InvalidSupporter,
    MatchingError,
    TaxonomyError,
    UnknownSpecialty,
    UnknownSupporter,
    UnknownTopic,
)
from matching.model import (
    DEFAULT_POLICY,
    Assignment,
    BatchResult,
    Candidate,
    Criterion,
    Explanation,
    ExplanationPart,
    Policy,
    Supporter,
    SupportRequest,
    Unmatched,
    UnmatchedReason,
)
from matching.online import rank
from matching.pool import SupporterPool
from matching.score import explain
from matching.synthetic import (
    Institution,
    Network,
    SyntheticWorld,
    synthetic_requests,
    synthetic_world,
)
from matching.taxonomy import (
    Level,
    PickerEntry,
    SpecialtyNode,
    Taxonomy,
    load_taxonomy,
    parse_taxonomy,
)
from matching.vocabulary import (
    CareerStage,
    DailyWindow,
    Topic,
    Urgency,
    list_topics,
    parse_language,
    parse_languages,
    parse_topic,
    parse_topics,
)

__all__ = [
    "DEFAULT_CANDIDATES_PER_REQUEST",
    "DEFAULT_POLICY",
    "Assignment",
    "BatchResult",
    "Candidate",
    "CareerStage",
    "Criterion",
    "DailyWindow",
    "Explanation",
    "ExplanationPart",
    "Institution",
    "InvalidPolicy",
    "InvalidRequest",
    "InvalidSupporter",
    "Level",
    "MatchingError",
    "Network",
    "PickerEntry",
    "Policy",
    "SpecialtyNode",
    "SupportRequest",
    "Supporter",
    "SupporterPool",
    "SyntheticWorld",
    "Taxonomy",
    "TaxonomyError",
    "Topic",
    "UnknownSpecialty",
    "UnknownSupporter",
    "UnknownTopic",
    "Unmatched",
    "UnmatchedReason",
    "Urgency",
    "Violation",
    "assign_batch",
    "assign_exact",
    "assign_greedy",
    "batch_objective",
    "explain",
    "is_feasible",
    "list_topics",
    "load_taxonomy",
    "parse_language",
    "parse_languages",
    "parse_taxonomy",
    "parse_topic",
    "parse_topics",
    "rank",
    "synthetic_requests",
    "synthetic_world",
    "violations",
    "weekly_count",
]
