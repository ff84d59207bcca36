"""The moderation state tables and the audit hash: pure, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from server.errors import IllegalTransition
from server.moderation import audit
from server.moderation.escalation import _next
from server.moderation.states import (
    FLAG,
    SEVERITY,
    TIER,
    Category,
    FlagStatus,
    Severity,
    Tier,
)


def test_a_flag_moves_only_forward_one_step_at_a_time() -> None:
    path = [FlagStatus.OPEN, FlagStatus.CLAIMED, FlagStatus.ACKNOWLEDGED, FlagStatus.RESOLVED]
    steps = set(pairwise(path))
    for old, new in steps:
        assert FLAG(old, new) is new
    for old in FlagStatus:
        for new in FlagStatus:
            if (old, new) in steps:
                continue
            with pytest.raises(IllegalTransition):
                FLAG(old, new)
    assert FLAG.final(FlagStatus.RESOLVED)


def test_tiers_escalate_primary_backup_admins_and_stop() -> None:
    assert [_next(t) for t in Tier] == [Tier.BACKUP, Tier.ADMINS, None]
    with pytest.raises(IllegalTransition):
        TIER(Tier.PRIMARY, Tier.ADMINS)  # never skipped: each tier gets its deadline


def test_crisis_is_critical_and_every_category_has_a_severity() -> None:
    assert SEVERITY[Category.CRISIS] is Severity.CRITICAL
    assert set(SEVERITY) == set(Category)
    assert max(SEVERITY.values()) is SEVERITY[Category.CRISIS]


def test_the_audit_hash_commits_to_every_field_and_the_previous_hash() -> None:
    at = datetime(2026, 12, 1, 12, 0, 0, 123000, tzinfo=UTC)
    base = {
        "prev_hash": bytes(32), "seq": 1, "at": at, "network_id": uuid.uuid4(),
        "actor_id": uuid.uuid4(), "action": "flag.claimed", "subject": {"flag": "f-1"},
    }  # fmt: skip
    reference = audit.entry_hash(**base)  # type: ignore[arg-type]
    assert audit.entry_hash(**base) == reference  # type: ignore[arg-type]
    changes = {
        "prev_hash": b"\x01" * 32, "seq": 2, "at": at.replace(microsecond=124000),
        "network_id": uuid.uuid4(), "actor_id": None, "action": "flag.resolved",
        "subject": {"flag": "f-2"},
    }  # fmt: skip
    for name, value in changes.items():
        assert audit.entry_hash(**{**base, name: value}) != reference, name  # type: ignore[arg-type]
