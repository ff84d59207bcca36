"""Signed intake requests for tests, and FHIR fixtures with staff identifiers filled in."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

import httpx

from server.checkins.signatures import signature_header

__all__ = ["INTAKE", "TEAM_SIGNALS", "fixture", "make_event", "post_signed", "signed_headers"]

INTAKE = "/api/v1/intake/adverse-events"
TEAM_SIGNALS = "/api/v1/intake/team-signals"
_FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str, **staff: str) -> dict[str, Any]:
    """A fixture file with `{contributor}` etc. replaced (unfilled ones stay as literal text)."""
    text = (_FIXTURES / name).read_text()
    for key, value in staff.items():
        text = text.replace("{" + key + "}", value)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def make_event(identifier: str, *staff: str, date: str = "2026-03-12T10:00:00Z") -> dict[str, Any]:
    return {
        "resourceType": "AdverseEvent",
        "identifier": {"system": "urn:test:incidents", "value": identifier},
        "actuality": "actual",
        "subject": {"reference": "Patient/p1"},
        "date": date,
        "contributor": [{"identifier": {"system": "urn:test:staff", "value": s}} for s in staff],
    }


def signed_headers(
    credential_id: str, secret: str, body: bytes, *, nonce: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:  # fmt: skip
    nonce = nonce or secrets.token_urlsafe(18)
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/fhir+json",
        "Peerhaven-Credential": credential_id,
        "Peerhaven-Timestamp": str(timestamp),
        "Peerhaven-Nonce": nonce,
        "Peerhaven-Signature": signature_header(secret, nonce=nonce, timestamp=timestamp,
                                                body=body),
    }  # fmt: skip


def post_signed(
    client: httpx.Client,
    credential: dict[str, Any],
    event: dict[str, Any] | bytes,
    *,
    path: str = INTAKE,
    **kw: Any,
) -> httpx.Response:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = signed_headers(str(credential["id"]), str(credential["secret"]), body, **kw)
    return client.post(path, content=body, headers=headers)
