"""Synthetic worlds are deterministic and follow the workforce mix."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from matching import Taxonomy, synthetic_requests, synthetic_world


def test_same_seed_same_world(now: datetime) -> None:
    a = synthetic_world(7, supporters=200, now=now)
    b = synthetic_world(7, supporters=200, now=now)
    c = synthetic_world(8, supporters=200, now=now)
    assert a == b
    assert a.supporters != c.supporters
    assert synthetic_requests(a, 50, seed=1) == synthetic_requests(b, 50, seed=1)


def test_shape_of_a_world(now: datetime, taxonomy: Taxonomy) -> None:
    world = synthetic_world(1, supporters=3000, networks=3, institutions_per_network=6, now=now)
    assert len(world.networks) == 3 and len(world.institutions) == 18
    assert len({s.supporter_id for s in world.supporters}) == 3000
    groups = Counter(taxonomy.ancestors(s.specialty)[-1].code for s in world.supporters)
    assert 0.44 < groups["ph:physicians"] / 3000 < 0.56
    physicians = Counter(
        s.specialty for s in world.supporters
        if taxonomy.ancestors(s.specialty)[-1].code == "ph:physicians"
    )
    # internal medicine and family medicine are the two largest AAMC specialties
    assert {c for c, _ in physicians.most_common(2)} == {"207R00000X", "207Q00000X"}
    for s in world.supporters:
        assert s.current_load <= s.concurrent_cap
        assert all(t <= now for t in s.recent_assignments)
