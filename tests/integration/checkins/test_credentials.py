"""Integration credentials: shown once, kept sealed, listed without secrets, revoked for good,
and only by an admin of the institution."""

from __future__ import annotations

import uuid

import pytest

from server.accounts.roles import Role
from tests.integration.checkins.conftest import CheckinWorld, new_credential
from tests.integration.checkins.intake import make_event, post_signed

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_the_secret_is_shown_once_and_never_stored_in_clear(checkin_world: CheckinWorld) -> None:
    world, admin, created = checkin_world.world, checkin_world.admin, checkin_world.credential
    assert created["secret"].startswith("phs_") and len(created["secret"]) >= 40
    listed = world.client.get(
        f"/api/v1/institutions/{world.institutions['a']}/integration-credentials",
        headers=admin.headers,
    ).json()
    assert [c["id"] for c in listed] == [created["id"]]
    assert "secret" not in listed[0] and created["secret"] not in str(listed)
    assert listed[0]["fingerprint"] == created["fingerprint"]
    stored = world.server.settings.database_url.split("///", 1)[1]
    with open(stored, "rb") as handle:
        assert created["secret"].encode() not in handle.read()


def test_revoked_credentials_sign_nothing(checkin_world: CheckinWorld) -> None:
    world, admin, credential = checkin_world.world, checkin_world.admin, checkin_world.credential
    assert post_signed(world.client, credential, make_event("before")).status_code == 202
    revoked = world.client.delete(
        f"/api/v1/integration-credentials/{credential['id']}", headers=admin.headers
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    before = checkin_world.counts()
    refused = post_signed(world.client, credential, make_event("after"))
    assert refused.status_code == 401
    assert checkin_world.counts() == before
    again = world.client.delete(
        f"/api/v1/integration-credentials/{credential['id']}", headers=admin.headers
    )
    assert again.status_code == 409


def test_only_the_institutions_admins_manage_its_credentials(checkin_world: CheckinWorld) -> None:
    world, credential = checkin_world.world, checkin_world.credential
    other_admin = world.device(Role.INSTITUTION_ADMIN, "b")
    own = f"/api/v1/institutions/{world.institutions['a']}/integration-credentials"
    assert world.client.get(own, headers=other_admin.headers).status_code == 403
    created = world.client.post(own, json={"label": "x"}, headers=other_admin.headers)
    assert created.status_code == 403
    revoke = world.client.delete(
        f"/api/v1/integration-credentials/{credential['id']}", headers=other_admin.headers
    )
    assert revoke.status_code == 403
    listed = world.client.get(own, headers=checkin_world.admin.headers).json()
    assert len(listed) == 1 and listed[0]["revoked_at"] is None
    unknown = world.client.delete(
        f"/api/v1/integration-credentials/{uuid.uuid4()}", headers=checkin_world.admin.headers
    )
    assert unknown.status_code == 404
    # A network admin of the same network may; one of another network may not.
    network_admin = world.device(Role.NETWORK_ADMIN, "b")
    assert world.client.get(own, headers=network_admin.headers).status_code == 200
    foreign = world.device(Role.NETWORK_ADMIN, "c")
    assert world.client.get(own, headers=foreign.headers).status_code == 403


@pytest.mark.parametrize("label", ["", "   ", "x" * 101, "tab\there"])
def test_bad_labels_are_refused(checkin_world: CheckinWorld, label: str) -> None:
    world = checkin_world.world
    response = world.client.post(
        f"/api/v1/institutions/{world.institutions['a']}/integration-credentials",
        json={"label": label}, headers=checkin_world.admin.headers,
    )  # fmt: skip
    assert response.status_code == 422
    listed = world.client.get(
        f"/api/v1/institutions/{world.institutions['a']}/integration-credentials",
        headers=checkin_world.admin.headers,
    ).json()
    assert len(listed) == 1


def test_the_number_of_live_credentials_is_capped(checkin_world: CheckinWorld) -> None:
    world = checkin_world.world
    cap = world.server.settings.max_integration_credentials
    for _ in range(cap - 1):
        new_credential(world, checkin_world.admin)
    response = world.client.post(
        f"/api/v1/institutions/{world.institutions['a']}/integration-credentials",
        json={"label": "one too many"}, headers=checkin_world.admin.headers,
    )  # fmt: skip
    assert response.status_code == 409
