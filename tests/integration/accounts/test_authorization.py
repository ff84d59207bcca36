"""Every API route, called by every role: the server admits exactly the roles the policy names.

The policy table below is the specification. A route the table does not name fails the test, so a
new route cannot ship without a decision about who may call it.
"""

from __future__ import annotations

import uuid

import pytest

from server.accounts.roles import Role
from tests.world import World

PUBLIC = None
ALL = frozenset(Role)
ADMINS = frozenset({Role.INSTITUTION_ADMIN, Role.NETWORK_ADMIN})
ASKERS = frozenset({Role.CLINICIAN, Role.SUPPORTER})  # those with a profile, requests and rooms
SUPPORTERS = frozenset({Role.SUPPORTER})
ROOM_MEMBERS = ASKERS | {Role.MODERATOR}  # moderators are members of their private rooms
MODERATORS = frozenset({Role.MODERATOR})
OVERSEERS = frozenset({Role.MODERATOR, Role.NETWORK_ADMIN})  # see the queue and the rota

POLICY: dict[tuple[str, str], frozenset[Role] | None] = {
    ("POST", "/api/v1/accounts"): PUBLIC,
    ("POST", "/api/v1/auth/challenges"): PUBLIC,
    ("POST", "/api/v1/auth/tokens"): PUBLIC,
    ("GET", "/api/v1/crisis-resources"): PUBLIC,
    ("GET", "/api/v1/me"): ALL,
    ("POST", "/api/v1/institutions/{institution_id}/invites"): ADMINS,
    ("GET", "/api/v1/institutions/{institution_id}/invites"): ADMINS,
    ("DELETE", "/api/v1/invites/{invite_id}"): ADMINS,
    ("GET", "/api/v1/network"): frozenset({Role.NETWORK_ADMIN}),
    ("GET", "/api/v1/specialties"): ALL,
    ("GET", "/api/v1/profile"): ASKERS,
    ("PUT", "/api/v1/profile"): ASKERS,
    ("GET", "/api/v1/supporter-profile"): SUPPORTERS,
    ("PUT", "/api/v1/supporter-profile"): SUPPORTERS,
    ("PUT", "/api/v1/supporter-profile/availability"): SUPPORTERS,
    ("POST", "/api/v1/support-requests"): ASKERS,
    ("GET", "/api/v1/support-requests/{request_id}"): ASKERS,
    ("POST", "/api/v1/support-requests/{request_id}/cancel"): ASKERS,
    ("GET", "/api/v1/offers"): SUPPORTERS,
    ("POST", "/api/v1/offers/{offer_id}/accept"): SUPPORTERS,
    ("POST", "/api/v1/offers/{offer_id}/decline"): SUPPORTERS,
    ("GET", "/api/v1/rooms"): ROOM_MEMBERS,
    ("GET", "/api/v1/rooms/{room_id}"): ROOM_MEMBERS,
    ("PUT", "/api/v1/rooms/{room_id}/identity"): ROOM_MEMBERS,
    ("POST", "/api/v1/rooms/{room_id}/prekeys"): ROOM_MEMBERS,
    ("POST", "/api/v1/rooms/{room_id}/peer-bundle"): ROOM_MEMBERS,
    ("POST", "/api/v1/rooms/{room_id}/leave"): ROOM_MEMBERS,
    ("POST", "/api/v1/rooms/{room_id}/close"): ROOM_MEMBERS,
    ("POST", "/api/v1/rooms/{room_id}/block"): ROOM_MEMBERS,
    ("GET", "/api/v1/rooms/{room_id}/report-keys"): ASKERS,
    ("POST", "/api/v1/rooms/{room_id}/flags"): ASKERS,
    ("PUT", "/api/v1/moderation/report-key"): MODERATORS,
    ("GET", "/api/v1/moderation/flags"): OVERSEERS,
    ("GET", "/api/v1/moderation/flags/{flag_id}"): OVERSEERS,
    ("POST", "/api/v1/moderation/flags/{flag_id}/claim"): MODERATORS,
    ("POST", "/api/v1/moderation/flags/{flag_id}/acknowledge"): MODERATORS,
    ("POST", "/api/v1/moderation/flags/{flag_id}/resolve"): MODERATORS,
    ("POST", "/api/v1/moderation/flags/{flag_id}/verify"): MODERATORS,
    ("POST", "/api/v1/moderation/flags/{flag_id}/private-room"): MODERATORS,
    ("POST", "/api/v1/moderation/flags/{flag_id}/close-room"): MODERATORS,
    ("POST", "/api/v1/moderation/flags/{flag_id}/suspend"): MODERATORS,
    ("GET", "/api/v1/moderation/rota"): OVERSEERS,
    ("PUT", "/api/v1/moderation/rota/me"): MODERATORS,
    # Last: it logs the caller out.
    ("DELETE", "/api/v1/auth/tokens/current"): ALL,
}


def _operations(world: World) -> set[tuple[str, str]]:
    spec = world.client.get("/openapi.json").json()
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        if path.startswith("/api/")
        for method in item
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_policy_names_every_api_route(world: World) -> None:
    assert _operations(world) == set(POLICY)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_route_admits_exactly_its_roles(world: World) -> None:
    devices = {role: world.device(role, "a") for role in Role}
    own_institution = str(world.institutions["a"])
    for (method, template), allowed in POLICY.items():
        path = template.replace("{institution_id}", own_institution).replace(
            "{invite_id}", str(uuid.uuid4())
        )
        if allowed is PUBLIC:
            response = world.client.request(method, path, json={})
            assert response.status_code not in (401, 403), (method, path)
            continue
        anonymous = world.client.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path)
        for role, device in devices.items():
            response = world.client.request(method, path, json={}, headers=device.headers)
            if role in allowed:
                assert response.status_code not in (401, 403), (method, path, role, response.text)
            else:
                assert response.status_code == 403, (method, path, role, response.text)
