"""Anonymised availability between two live nodes: marginal counts only, on a periodic job."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from server.db.models import FederationPeer
from tests.integration.federation.nodes import Node, signed, two_nodes
from tests.integration.peers import PSYCHIATRY, assert_problem, count, supporter


@pytest.fixture(params=[0.2])
def pair(tmp_path: Path, request: pytest.FixtureRequest):
    fast = {"federation_availability_seconds": request.param}
    with two_nodes(tmp_path, **fast) as both:
        yield both


def _availability_of(a: Node, deadline: float = 10.0) -> dict:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        (b_on_a,) = a.peers()
        if b_on_a["availability"] and b_on_a["availability"]["total"] >= 2:
            return b_on_a["availability"]
        time.sleep(0.05)
    raise AssertionError("no availability arrived")


def test_a_node_learns_its_peers_counts_and_nothing_else(pair: tuple[Node, Node]) -> None:
    a, b = pair
    one = supporter(b.world, "a", topics=("burnout",))
    two = supporter(b.world, "b", specialty=PSYCHIATRY, years=3)
    counts = _availability_of(a)
    assert counts["total"] == 2
    assert counts["specialty_group"] == {"ph:physicians": 2}
    assert counts["experience_band"] == {"10-19 years": 1, "under 5 years": 1}
    assert counts["language"] == {"en": 2}
    assert counts["topic"] == {"adverse-event": 1, "burnout": 1}
    text = json.dumps(counts)
    for secret in (one.account_id, two.account_id, "beta-a", "beta-b", "BETA institution",
                   str(b.world.institutions["a"])):  # fmt: skip
        assert secret not in text


@pytest.mark.parametrize("pair", [0.0], indirect=True)  # no periodic job: only this request
@pytest.mark.parametrize(
    "counts",
    [
        {"total": 1},
        {
            "total": 1,
            "specialty_group": {"acct-123": 1},
            "experience_band": {},
            "language": {},
            "topic": {},
        },
        {
            "total": 1,
            "specialty_group": {},
            "experience_band": {},
            "language": {"en": 5},
            "topic": {},
        },
        {"total": -1, "specialty_group": {}, "experience_band": {}, "language": {}, "topic": {}},
        [1, 2, 3],
    ],
)
def test_malformed_counts_are_refused_and_change_nothing(
    pair: tuple[Node, Node], counts: object
) -> None:
    a, b = pair
    response, _, _ = signed(b.identity, a, "PUT", "/federation/v1/availability", counts)  # type: ignore[arg-type]
    assert_problem(response, 422, "malformed")
    assert "acct-123" not in response.text
    assert [p["availability"] for p in a.peers()] == [None]
    assert count(a.world, FederationPeer) == 1
