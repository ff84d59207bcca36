"""Fixtures for the matching tests: a fixed clock and factories for small hand-built worlds."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from matching import (
    CareerStage,
    Supporter,
    SupporterPool,
    SupportRequest,
    SyntheticWorld,
    Taxonomy,
    Topic,
    load_taxonomy,
    synthetic_world,
)

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 15:00 UTC = 10:00 in New York


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def taxonomy() -> Taxonomy:
    return load_taxonomy()


_SUPPORTER = Supporter(
    supporter_id="s1",
    institution_id="inst-b",
    network_id="net-1",
    specialty="207P00000X",  # emergency medicine
    years_experience=12.0,
    career_stage=CareerStage.MID_CAREER,
    languages=frozenset({"en"}),
    utc_offset_minutes=-300,
    topic_expertise=frozenset({Topic.ADVERSE_EVENT, Topic.PATIENT_DEATH}),
)

_REQUEST = SupportRequest(
    request_id="r1",
    requester_id="c1",
    institution_id="inst-a",
    network_id="net-1",
    specialty="207P00000X",
    years_experience=8.0,
    career_stage=CareerStage.EARLY_CAREER,
    topics=frozenset({Topic.ADVERSE_EVENT}),
    languages=frozenset({"en"}),
    utc_offset_minutes=-300,
)


@pytest.fixture
def make_supporter() -> Callable[..., Supporter]:
    """A feasible emergency-medicine supporter for :func:`make_request`, with overrides."""

    def make(**changes: Any) -> Supporter:
        return dataclasses.replace(_SUPPORTER, **changes)

    return make


@pytest.fixture
def make_request() -> Callable[..., SupportRequest]:
    def make(**changes: Any) -> SupportRequest:
        return dataclasses.replace(_REQUEST, **changes)

    return make


@pytest.fixture
def small_world() -> SyntheticWorld:
    return synthetic_world(11, supporters=400, networks=3, institutions_per_network=5, now=NOW)


@pytest.fixture
def small_pool(small_world: SyntheticWorld) -> SupporterPool:
    return SupporterPool(small_world.supporters)
