"""Seeded, deterministic synthetic networks, institutions, supporters and requests.

For tests, benchmarks and the demo. The specialty mix follows the head counts in
``taxonomy.json`` (AAMC 2022 Physician Specialty Data Report for physicians; rough estimates
elsewhere, marked as such) *within* each grouping; the share of each grouping is a programme
choice, :data:`DEFAULT_GROUPING_MIX`. The same seed gives the same world, field for field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from matching.errors import InvalidRequest
from matching.model import Supporter, SupportRequest
from matching.taxonomy import Level, Taxonomy, load_taxonomy
from matching.vocabulary import CareerStage, DailyWindow, Topic, Urgency

__all__ = [
    "DEFAULT_GROUPING_MIX",
    "Institution",
    "Network",
    "SyntheticWorld",
    "synthetic_requests",
    "synthetic_world",
]

#: Share of each grouping among enrolled people (peer-support programmes enrol physicians far
#: above their share of the clinical workforce).
DEFAULT_GROUPING_MIX: Mapping[str, float] = {
    "ph:physicians": 0.50,
    "ph:nursing": 0.28,
    "ph:advanced-practice": 0.12,
    "ph:pharmacy": 0.04,
    "ph:trainees": 0.06,
}

T = TypeVar("T")

_US_OFFSETS = ((-300, 0.45), (-360, 0.29), (-420, 0.08), (-480, 0.15), (-540, 0.01), (-600, 0.02))
_INTL_OFFSETS = ((0, 0.35), (60, 0.35), (330, 0.2), (600, 0.1))
_SECOND_LANGUAGES = (("es", 0.6), ("zh", 0.08), ("vi", 0.05), ("tl", 0.07), ("fr", 0.06),
                     ("ar", 0.05), ("hi", 0.05), ("ko", 0.04))
_TOPIC_WEIGHTS = {
    Topic.ADVERSE_EVENT: 0.19, Topic.BURNOUT: 0.19, Topic.PATIENT_DEATH: 0.12,
    Topic.MEDICAL_ERROR: 0.10, Topic.MORAL_INJURY: 0.10, Topic.SECOND_VICTIM: 0.06,
    Topic.LITIGATION: 0.06, Topic.HARASSMENT: 0.05, Topic.WORKPLACE_VIOLENCE: 0.05,
    Topic.WORK_LIFE: 0.04, Topic.CAREER: 0.03, Topic.OTHER: 0.01,
}
_STAGE_YEARS = {
    CareerStage.STUDENT: (0.0, 0.0),
    CareerStage.RESIDENT: (0.5, 6.0),
    CareerStage.FELLOW: (4.0, 9.0),
    CareerStage.EARLY_CAREER: (3.0, 10.0),
    CareerStage.MID_CAREER: (10.0, 20.0),
    CareerStage.SENIOR: (20.0, 40.0),
}
_SUPPORTER_STAGES = ((CareerStage.RESIDENT, 0.08), (CareerStage.FELLOW, 0.04),
                     (CareerStage.EARLY_CAREER, 0.2), (CareerStage.MID_CAREER, 0.38),
                     (CareerStage.SENIOR, 0.3))
_REQUESTER_STAGES = ((CareerStage.RESIDENT, 0.25), (CareerStage.FELLOW, 0.07),
                     (CareerStage.EARLY_CAREER, 0.28), (CareerStage.MID_CAREER, 0.28),
                     (CareerStage.SENIOR, 0.12))
_WINDOWS = (
    ((), 0.6),
    ((DailyWindow.hours(17, 23),), 0.15),
    ((DailyWindow.hours(9, 17),), 0.1),
    ((DailyWindow.hours(21, 3),), 0.08),
    ((DailyWindow.hours(6, 9), DailyWindow.hours(19, 22)), 0.07),
)


@dataclass(frozen=True, slots=True)
class Institution:
    institution_id: str
    name: str
    network_id: str
    weight: float


@dataclass(frozen=True, slots=True)
class Network:
    network_id: str
    name: str
    region: str
    institutions: tuple[Institution, ...]


@dataclass(frozen=True, slots=True)
class SyntheticWorld:
    seed: int
    now: datetime
    networks: tuple[Network, ...]
    supporters: tuple[Supporter, ...]

    @property
    def institutions(self) -> tuple[Institution, ...]:
        return tuple(i for n in self.networks for i in n.institutions)


def _pick(rng: np.random.Generator, options: Sequence[tuple[T, float]], size: int) -> list[T]:
    weights = np.array([w for _, w in options], dtype=np.float64)
    chosen = rng.choice(len(options), size=size, p=weights / weights.sum())
    return [options[i][0] for i in chosen]


def _specialty_table(
    taxonomy: Taxonomy, mix: Mapping[str, float]
) -> tuple[list[str], npt.NDArray[np.float64], list[str]]:
    codes, weights, groups = [], [], []
    for node in taxonomy.nodes:
        if node.level is Level.GROUPING or node.workforce <= 0:
            continue
        group = taxonomy.ancestors(node.code)[-1].code
        if mix.get(group, 0.0) <= 0:
            continue
        codes.append(node.code)
        groups.append(group)
        weights.append(node.workforce)
    w = np.array(weights, dtype=np.float64)
    totals = {g: w[[i for i, x in enumerate(groups) if x == g]].sum() for g in set(groups)}
    p = np.array([w[i] / totals[g] * mix[g] for i, g in enumerate(groups)])
    return codes, p / p.sum(), groups


def _stages(
    rng: np.random.Generator,
    codes: list[str],
    groups: list[str],
    table: Sequence[tuple[CareerStage, float]],
) -> list[CareerStage]:
    drawn = _pick(rng, table, len(codes))
    out = []
    for code, group, stage in zip(codes, groups, drawn, strict=True):
        if group == "ph:trainees":
            if code.startswith("ph:student"):
                stage = CareerStage.STUDENT
            else:
                stage = CareerStage.FELLOW if "fellow" in code else CareerStage.RESIDENT
        elif group != "ph:physicians" and stage in (CareerStage.RESIDENT, CareerStage.FELLOW):
            stage = CareerStage.EARLY_CAREER
        out.append(stage)
    return out


@dataclass(frozen=True, slots=True)
class _People:
    """Attributes shared by supporters and requesters, drawn column by column."""

    institutions: list[Institution]
    specialties: list[str]
    stages: list[CareerStage]
    years: list[float]
    languages: list[frozenset[str]]
    offsets: list[int]
    windows: list[tuple[DailyWindow, ...]]
    topics: list[frozenset[Topic]]


def _people(
    rng: np.random.Generator,
    n: int,
    *,
    networks: Sequence[Network],
    taxonomy: Taxonomy,
    mix: Mapping[str, float],
    stage_table: Sequence[tuple[CareerStage, float]],
    english_only: float,
    topic_range: tuple[int, int],
) -> _People:
    everyone = [i for net in networks for i in net.institutions]
    inst_p = np.array([i.weight for i in everyone])
    region_of = {net.network_id: net.region for net in networks}
    codes, spec_p, groups = _specialty_table(taxonomy, mix)

    institutions = [everyone[i] for i in rng.choice(len(everyone), size=n, p=inst_p / inst_p.sum())]
    picked = rng.choice(len(codes), size=n, p=spec_p)
    specialties = [codes[i] for i in picked]
    stages = _stages(rng, specialties, [groups[i] for i in picked], stage_table)
    low = np.array([_STAGE_YEARS[s][0] for s in stages])
    high = np.array([_STAGE_YEARS[s][1] for s in stages])
    years = np.round(rng.uniform(low, high), 1).tolist()

    u = rng.random(n)
    second = _pick(rng, _SECOND_LANGUAGES, n)
    languages = [
        frozenset({"en"}) if x < english_only
        else frozenset({b}) if x > 0.98  # a few speak no English
        else frozenset({"en", b})
        for x, b in zip(u.tolist(), second, strict=True)
    ]
    us, intl = _pick(rng, _US_OFFSETS, n), _pick(rng, _INTL_OFFSETS, n)
    offsets = [
        a if region_of[inst.network_id] == "us" else b
        for inst, a, b in zip(institutions, us, intl, strict=True)
    ]
    windows = _pick(rng, _WINDOWS, n)

    # weighted sampling without replacement, one row per person (Gumbel top-k)
    names = list(_TOPIC_WEIGHTS)
    keys = np.log(np.array(list(_TOPIC_WEIGHTS.values()))) + rng.gumbel(size=(n, len(names)))
    order = np.argsort(-keys, axis=1)
    counts = rng.integers(topic_range[0], topic_range[1] + 1, size=n)
    topics = [
        frozenset(names[j] for j in row[:c])
        for row, c in zip(order.tolist(), counts.tolist(), strict=True)
    ]
    return _People(
        institutions, specialties, stages, years, languages, offsets, windows, topics
    )


def synthetic_world(
    seed: int,
    *,
    supporters: int = 1000,
    networks: int = 3,
    institutions_per_network: int = 8,
    now: datetime,
    grouping_mix: Mapping[str, float] = DEFAULT_GROUPING_MIX,
    taxonomy: Taxonomy | None = None,
) -> SyntheticWorld:
    """Networks of institutions and ``supporters`` supporters, all derived from ``seed``.

    Every third network is international (UTC offsets in Europe and Asia), the others are in
    US time zones. Institution sizes are skewed (a few large academic centres, many small
    hospitals). ``now`` anchors recent assignments (within the week before it).
    """
    if supporters < 0 or networks < 1 or institutions_per_network < 1:
        raise InvalidRequest("counts must be positive")
    taxonomy = taxonomy or load_taxonomy()
    rng = np.random.default_rng(seed)
    nets = []
    for n in range(networks):
        region = "intl" if n % 3 == 2 else "us"
        sizes = rng.lognormal(0.0, 0.7, institutions_per_network)
        institutions = tuple(
            Institution(f"inst-{n:02d}-{i:03d}", f"Hospital {n}.{i}", f"net-{n:02d}",
                        float(sizes[i]))
            for i in range(institutions_per_network)
        )
        nets.append(Network(f"net-{n:02d}", f"Network {n}", region, institutions))
    people = _people(
        rng, supporters, networks=nets, taxonomy=taxonomy, mix=grouping_mix,
        stage_table=_SUPPORTER_STAGES, english_only=0.7, topic_range=(1, 4),
    )
    caps = np.array(_pick(rng, ((1, 0.3), (2, 0.5), (3, 0.2)), supporters), dtype=np.int64)
    weekly = caps + rng.integers(0, 4, size=supporters)
    loads = rng.binomial(caps, 0.3)
    accepting = rng.random(supporters) < 0.92
    recent_counts = rng.binomial(weekly, 0.3)
    minutes = np.sort(rng.integers(1, 7 * 24 * 60, size=(supporters, 6)), axis=1)
    out = []
    for k in range(supporters):
        inst = people.institutions[k]
        out.append(
            Supporter(
                supporter_id=f"sup-{seed}-{k:06d}",
                institution_id=inst.institution_id,
                network_id=inst.network_id,
                specialty=people.specialties[k],
                years_experience=people.years[k],
                career_stage=people.stages[k],
                languages=people.languages[k],
                utc_offset_minutes=people.offsets[k],
                availability=people.windows[k],
                topic_expertise=people.topics[k],
                accepting=bool(accepting[k]),
                concurrent_cap=int(caps[k]),
                weekly_cap=int(weekly[k]),
                current_load=int(loads[k]),
                recent_assignments=tuple(
                    now - timedelta(minutes=int(m)) for m in minutes[k, : recent_counts[k]]
                ),
            )
        )
    return SyntheticWorld(seed, now, tuple(nets), tuple(out))


def synthetic_requests(
    world: SyntheticWorld,
    count: int,
    *,
    seed: int,
    grouping_mix: Mapping[str, float] = DEFAULT_GROUPING_MIX,
    taxonomy: Taxonomy | None = None,
) -> list[SupportRequest]:
    """``count`` requests from clinicians of ``world``'s institutions, derived from ``seed``.

    About 3 % come from people who are supporters themselves and 3 % block one supporter, so
    the same-person and blocked-pair constraints are exercised.
    """
    taxonomy = taxonomy or load_taxonomy()
    rng = np.random.default_rng([seed, world.seed, 7])
    people = _people(
        rng, count, networks=world.networks, taxonomy=taxonomy, mix=grouping_mix,
        stage_table=_REQUESTER_STAGES, english_only=0.85, topic_range=(1, 2),
    )
    institution_of = {i.institution_id: i for i in world.institutions}
    urgency = _pick(rng, ((Urgency.ROUTINE, 0.7), (Urgency.SOON, 0.22), (Urgency.URGENT, 0.08)),
                    count)
    same_only = (rng.random(count) < 0.1).tolist()
    n_sup = max(1, len(world.supporters))
    is_supporter = (rng.random(count) < 0.03).tolist()
    who = rng.integers(0, n_sup, size=count).tolist()
    blocks = (rng.random(count) < 0.03).tolist()
    blocked_who = rng.integers(0, n_sup, size=count).tolist()
    out = []
    for k in range(count):
        requester, inst = f"clin-{seed}-{k:06d}", people.institutions[k]
        if world.supporters and is_supporter[k]:
            me = world.supporters[who[k]]
            requester, inst = me.supporter_id, institution_of[me.institution_id]
        blocked: frozenset[str] = frozenset()
        if world.supporters and blocks[k]:
            blocked = frozenset({world.supporters[blocked_who[k]].supporter_id})
        out.append(
            SupportRequest(
                request_id=f"req-{seed}-{k:06d}",
                requester_id=requester,
                institution_id=inst.institution_id,
                network_id=inst.network_id,
                specialty=people.specialties[k],
                years_experience=people.years[k],
                career_stage=people.stages[k],
                topics=people.topics[k],
                languages=people.languages[k],
                utc_offset_minutes=people.offsets[k],
                availability=people.windows[k],
                urgency=urgency[k],
                same_specialty_only=same_only[k],
                blocked_supporter_ids=blocked,
            )
        )
    return out
