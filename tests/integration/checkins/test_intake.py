"""The signed AdverseEvent intake: FHIR fixtures in; for each bad request a clear error that
quotes nothing and changes nothing; linked clinicians scheduled, everyone else discarded."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.accounts.roles import Role
from server.checkins.states import CheckinStatus
from tests.integration.checkins.conftest import CheckinWorld, new_credential
from tests.integration.checkins.intake import (
    INTAKE,
    fixture,
    make_event,
    post_signed,
    signed_headers,
)
from tests.integration.flows import Side

CANARY = "STAFF-CANARY-7f3a91"


def _linked(checkin_world: CheckinWorld, tmp_path: Path, name: str, staff: str,
            institution: str = "a") -> Side:  # fmt: skip
    return checkin_world.clinician(tmp_path, name, staff=staff, institution=institution)


def test_a_fixture_event_schedules_only_the_linked(
    checkin_world: CheckinWorld, tmp_path: Path
) -> None:
    world = checkin_world.world
    recorder = _linked(checkin_world, tmp_path, "recorder", "N-2001")
    contributor = _linked(checkin_world, tmp_path, "contributor", "n-1001 ")  # normalised
    elsewhere = _linked(checkin_world, tmp_path, "elsewhere", "N-3001", institution="b")
    event = fixture(
        "adverse-event-medication.json", recorder="N-2001", contributor="N-1001", unlinked="N-3001"
    )  # fmt: skip — N-3001 is linked, but at institution b
    response = post_signed(world.client, checkin_world.credential, event)
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "accepted"}
    scheduled = checkin_world.offers()
    owners = {offer.account_id for offer in scheduled}
    assert {str(o) for o in owners} == {recorder.me["account_id"], contributor.me["account_id"]}
    assert elsewhere.me["account_id"] not in {str(o) for o in owners}
    assert all(offer.status == CheckinStatus.SCHEDULED for offer in scheduled)
    assert all(str(offer.event_date) == "2026-03-12" for offer in scheduled)
    assert checkin_world.counts()["adverse_event_receipts"] == 1


def test_the_answer_is_the_same_whoever_matched(
    checkin_world: CheckinWorld, tmp_path: Path
) -> None:
    world = checkin_world.world
    _linked(checkin_world, tmp_path, "c", "N-1")
    matched = post_signed(world.client, checkin_world.credential, make_event("e1", "N-1"))
    nobody = post_signed(world.client, checkin_world.credential, make_event("e2", "N-404"))
    assert matched.status_code == nobody.status_code == 202
    assert matched.content == nobody.content


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # both: test_confidentiality
def test_unlinked_identifiers_leave_no_trace(checkin_world: CheckinWorld) -> None:
    world = checkin_world.world
    response = post_signed(world.client, checkin_world.credential, make_event("e1", CANARY))
    assert response.status_code == 202
    assert checkin_world.counts()["checkin_offers"] == 0
    path = world.server.settings.database_url.split("///", 1)[1]
    stored = b"".join(p.read_bytes() for p in Path(path).parent.glob(Path(path).name + "*"))
    assert CANARY.encode() not in stored and CANARY.casefold().encode() not in stored


def test_a_resent_event_is_a_duplicate_and_schedules_nothing_new(
    checkin_world: CheckinWorld, tmp_path: Path
) -> None:
    world = checkin_world.world
    _linked(checkin_world, tmp_path, "c", "N-1")
    first = post_signed(world.client, checkin_world.credential, make_event("same", "N-1"))
    assert first.json() == {"status": "accepted"}
    before = checkin_world.counts()
    again = post_signed(world.client, checkin_world.credential, make_event("same", "N-1"))
    assert again.status_code == 202 and again.json() == {"status": "duplicate"}
    after = checkin_world.counts()
    assert after["checkin_offers"] == before["checkin_offers"] == 1
    assert after["adverse_event_receipts"] == 1


def test_one_open_checkin_per_clinician(checkin_world: CheckinWorld, tmp_path: Path) -> None:
    world = checkin_world.world
    _linked(checkin_world, tmp_path, "c", "N-1")
    for name in ("e1", "e2", "e3"):
        sent = post_signed(world.client, checkin_world.credential, make_event(name, "N-1"))
        assert sent.status_code == 202
    counts = checkin_world.counts()
    assert counts["checkin_offers"] == 1 and counts["adverse_event_receipts"] == 3


def test_another_institutions_credential_reaches_only_its_own_links(
    checkin_world: CheckinWorld, tmp_path: Path
) -> None:
    world = checkin_world.world
    _linked(checkin_world, tmp_path, "a-side", "N-77")
    b_admin = world.device(Role.INSTITUTION_ADMIN, "b")
    b_credential = new_credential(world, b_admin, "b")
    response = post_signed(world.client, b_credential, make_event("b-event", "N-77"))
    assert response.status_code == 202
    assert checkin_world.counts()["checkin_offers"] == 0


# -- every bad request: a clear error, nothing echoed, nothing changed -----------------------

Send = Callable[[httpx.Client, dict[str, Any]], httpx.Response]
_VALID = make_event("bad-input-case", CANARY)


def _raw(body: bytes, **kw: Any) -> Send:
    return lambda client, cred: client.post(
        INTAKE, content=body, headers=signed_headers(cred["id"], cred["secret"], body, **kw)
    )


def _headers(change: Callable[[dict[str, str]], None]) -> Send:
    def send(client: httpx.Client, cred: dict[str, Any]) -> httpx.Response:
        body = json.dumps(_VALID).encode()
        headers = signed_headers(cred["id"], cred["secret"], body)
        change(headers)
        return client.post(INTAKE, content=body, headers=headers)

    return send


def _tampered(client: httpx.Client, cred: dict[str, Any]) -> httpx.Response:
    body = json.dumps(_VALID).encode()
    headers = signed_headers(cred["id"], cred["secret"], body)
    return client.post(INTAKE, content=body.replace(b"actual", b"potential"), headers=headers)


def _wrong_secret(client: httpx.Client, cred: dict[str, Any]) -> httpx.Response:
    return post_signed(client, {**cred, "secret": "phs_" + "A" * 43}, _VALID)


def _unknown_credential(client: httpx.Client, cred: dict[str, Any]) -> httpx.Response:
    return post_signed(client, {**cred, "id": "00000000-0000-4000-8000-000000000000"}, _VALID)


def _event(**changes: Any) -> dict[str, Any]:
    event = json.loads(json.dumps(_VALID))
    for key, value in changes.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def _json(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


BAD: dict[str, tuple[Send, int]] = {
    "no signature headers": (lambda c, _cred: c.post(INTAKE, content=_json(_VALID)), 401),
    "malformed signature": (_headers(lambda h: h.update({"Peerhaven-Signature": "v1=zz"})), 401),
    "bad credential id": (_headers(lambda h: h.update({"Peerhaven-Credential": "x"})), 401),
    "short nonce": (_headers(lambda h: h.update({"Peerhaven-Nonce": "abc"})), 401),
    "tampered body": (_tampered, 401),
    "wrong secret": (_wrong_secret, 401),
    "unknown credential": (_unknown_credential, 401),
    "stale timestamp": (_raw(_json(_VALID), timestamp=int(time.time()) - 3600), 401),
    "future timestamp": (_raw(_json(_VALID), timestamp=int(time.time()) + 3600), 401),
    "bearer token instead": (
        lambda c, _cred: c.post(
            INTAKE, content=_json(_VALID), headers={"Authorization": f"Bearer {CANARY}"}
        ),
        401,
    ),
    "not JSON": (_raw(b"{not json " + CANARY.encode()), 422),
    "not UTF-8": (_raw(b"\xff\xfe" + CANARY.encode()), 422),
    "a JSON list": (_raw(_json([_VALID])), 422),  # type: ignore[arg-type]
    "another resource type": (_raw(_json(_event(resourceType="Patient"))), 422),
    "no subject": (_raw(_json(_event(subject=None))), 422),
    "bad date": (_raw(_json(_event(date=CANARY))), 422),
    "bad actuality": (_raw(_json(_event(actuality=CANARY))), 422),
    "no actuality": (_raw(_json(_event(actuality=None))), 422),
    "no identifier nor id": (_raw(_json(_event(identifier=None))), 422),
    "an R5 element": (_raw(_json(_event(participant=[{"actor": {"display": CANARY}}]))), 422),
    "an unknown element named like the canary": (_raw(_json(_event(**{CANARY: 1}))), 422),
    "contributor of a wrong type": (_raw(_json(_event(contributor=CANARY))), 422),
    "too many staff": (
        _raw(_json(_event(contributor=[{"identifier": {"value": f"S{i}"}} for i in range(101)]))),
        422,
    ),
    "oversized": (_raw(b" " * (70 * 1024) + _json(_VALID)), 413),
}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_requests_are_refused_and_change_nothing(
    checkin_world: CheckinWorld, tmp_path: Path
) -> None:
    # One world for every case (a server each would cost seconds apiece); each case is checked
    # against the state just before it, and a valid request afterwards proves the world works.
    world = checkin_world.world
    _linked(checkin_world, tmp_path, "c", CANARY)
    for case, (send, status) in sorted(BAD.items()):
        before = checkin_world.counts()
        response = send(world.client, checkin_world.credential)
        assert response.status_code == status, (case, response.text)
        problem = response.json()
        assert problem["status"] == status and problem["detail"], case
        assert CANARY not in response.text and CANARY.casefold() not in response.text, case
        assert checkin_world.counts() == before, case
    assert post_signed(world.client, checkin_world.credential, _VALID).status_code == 202
    assert checkin_world.counts()["checkin_offers"] == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_replayed_request_is_refused(checkin_world: CheckinWorld, tmp_path: Path) -> None:
    world, credential = checkin_world.world, checkin_world.credential
    _linked(checkin_world, tmp_path, "c", "N-1")
    body = _json(make_event("replay", "N-1"))
    headers = signed_headers(credential["id"], credential["secret"], body)
    assert world.client.post(INTAKE, content=body, headers=headers).status_code == 202
    before = checkin_world.counts()
    replay = world.client.post(INTAKE, content=body, headers=headers)
    assert replay.status_code == 401 and "already" in replay.json()["detail"]
    assert checkin_world.counts() == before
