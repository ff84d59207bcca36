"""Reading a FHIR R4 `AdverseEvent` down to what a check-in needs, and nothing more.

Validated with `fhir.resources` (its R4B model: the AdverseEvent resource is the same in R4 4.0.1
and R4B 4.3.0). Kept: the event's identity (for refusing duplicates), its date, and the staff
identifiers of the people involved — `contributor[]` and `recorder` references that carry an
`identifier`. Everything else (the patient, the narrative, the location) is dropped on arrival.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B.adverseevent import AdverseEvent
from pydantic import ValidationError

from server.errors import InvalidInput

__all__ = ["ReportedEvent", "read_adverse_event"]

_ACTUALITY = frozenset({"actual", "potential"})


@dataclass(frozen=True, repr=False)
class ReportedEvent:
    """What an AdverseEvent reduces to. `repr` never shows the staff identifiers."""

    identity: str
    occurred_on: date | None
    staff_identifiers: tuple[str, ...]

    def __repr__(self) -> str:
        return f"ReportedEvent(<{len(self.staff_identifiers)} staff identifiers>)"


def _problem(exc: ValidationError) -> str:
    """A description that quotes no input: schema locations and error kinds only. An unknown
    element's location is the caller's own key, so it is not named either."""
    first = exc.errors()[0]
    if first["type"] == "extra_forbidden":
        where, kind = "an element", "that AdverseEvent does not define"
    else:
        where = ".".join(str(part) for part in first["loc"]) or "the resource"
        kind = str(first["type"]).replace("_", " ")
    return f"not a valid FHIR R4 AdverseEvent: {where}: {kind} ({exc.error_count()} problem(s))"


def _day(value: datetime | date | str | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()  # the reporter's local day, as they wrote it
    if isinstance(value, date):
        return value
    return None


def read_adverse_event(body: bytes, *, max_participants: int) -> ReportedEvent:
    """Parse and validate. InvalidInput (never quoting the body) for anything that is not JSON,
    not an R4 AdverseEvent, has no identifier or id, or names more than `max_participants`."""
    try:
        raw: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput("the body is not JSON") from None
    if not isinstance(raw, dict) or raw.get("resourceType") != "AdverseEvent":
        raise InvalidInput("the body must be a FHIR resource with resourceType AdverseEvent")
    try:
        event = AdverseEvent.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(_problem(exc)) from None
    except (ValueError, TypeError):
        raise InvalidInput("not a valid FHIR R4 AdverseEvent") from None
    # R4 makes `actuality` required (1..1); the model leaves it optional.
    if event.actuality not in _ACTUALITY:
        raise InvalidInput(
            "not a valid FHIR R4 AdverseEvent: actuality: must be actual or potential"
        )
    if event.identifier is not None and event.identifier.value:
        identity = f"identifier|{event.identifier.system or ''}|{event.identifier.value}"
    elif event.id:
        identity = f"id|{event.id}"
    else:
        raise InvalidInput("the AdverseEvent needs an identifier or an id (duplicates are refused)")
    references = [*(event.contributor or []), *([event.recorder] if event.recorder else [])]
    staff = []
    for reference in references:
        identifier = reference.identifier
        if identifier is not None and identifier.value:
            staff.append(str(identifier.value))
    if len(staff) > max_participants:
        raise InvalidInput(f"an AdverseEvent may name at most {max_participants} staff")
    occurred = _day(event.date) or _day(event.detected) or _day(event.recordedDate)
    return ReportedEvent(
        identity=identity, occurred_on=occurred, staff_identifiers=tuple(dict.fromkeys(staff))
    )
