"""Reading an AdverseEvent (server.checkins.fhir): the repository's FHIR fixtures, what is kept,
and refusals that quote nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from server.checkins.fhir import read_adverse_event
from server.errors import InvalidInput

FIXTURES = Path(__file__).parents[3] / "integration" / "checkins" / "fixtures"


def _fixture(name: str, **staff: str) -> bytes:
    text = (FIXTURES / name).read_text()
    for key, value in staff.items():
        text = text.replace("{" + key + "}", value)
    return text.encode()


def test_the_medication_fixture_keeps_date_identity_and_staff_only() -> None:
    body = _fixture("adverse-event-medication.json", recorder="R-1", contributor="C-1",
                    unlinked="U-1")  # fmt: skip
    event = read_adverse_event(body, max_participants=10)
    assert event.identity == "identifier|urn:oid:2.16.840.1.113883.19.5.99|INC-2026-0312-7"
    assert event.occurred_on == date(2026, 3, 12)
    assert event.staff_identifiers == ("C-1", "U-1", "R-1")
    assert "C-1" not in repr(event) and "PATIENT" not in repr(event)


def test_the_minimal_fixture_uses_the_resource_id() -> None:
    event = read_adverse_event(_fixture("adverse-event-minimal.json", contributor="C-9"),
                               max_participants=10)  # fmt: skip
    assert event.identity == "id|ae-minimal-1"
    assert event.occurred_on is None and event.staff_identifiers == ("C-9",)


def test_repeated_staff_count_once_and_the_cap_holds() -> None:
    base = json.loads(_fixture("adverse-event-minimal.json", contributor="C-9"))
    base["contributor"] = [{"identifier": {"value": "same"}}] * 3
    read = read_adverse_event(json.dumps(base).encode(), max_participants=3)
    assert read.staff_identifiers == ("same",)
    base["contributor"] = [{"identifier": {"value": f"s{i}"}} for i in range(3)]
    with pytest.raises(InvalidInput):
        read_adverse_event(json.dumps(base).encode(), max_participants=2)


@pytest.mark.parametrize(
    "change",
    [
        {"date": "SECRET-VALUE"},
        {"subject": "SECRET-VALUE"},
        {"SECRET-VALUE": True},
        {"contributor": [{"identifier": {"value": 7, "SECRET-VALUE": 1}}]},
        {"actuality": "SECRET-VALUE"},
    ],
)
def test_invalid_resources_are_refused_without_quoting(change: dict[str, object]) -> None:
    base = json.loads(_fixture("adverse-event-minimal.json", contributor="C-9"))
    base.update(change)
    with pytest.raises(InvalidInput) as refused:
        read_adverse_event(json.dumps(base).encode(), max_participants=10)
    assert "SECRET" not in refused.value.detail
    assert refused.value.detail.startswith("not a valid FHIR R4 AdverseEvent")
