"""Registration, login, tokens and invites through the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import func, select

from server.accounts.roles import Role
from server.db.models import AccessToken, Account, Invite, LoginChallenge
from tests.devices import Device
from tests.world import World

PROBLEM = "application/problem+json"


def count(world: World, model: Any) -> int:
    async def go(session):
        return (await session.exec(select(func.count()).select_from(model))).one()

    result: int = world.run(go)
    return result


def snapshot(world: World) -> tuple[int, int, int, int]:
    return (count(world, Account), count(world, Invite), count(world, AccessToken),
            count(world, LoginChallenge))  # fmt: skip


def assert_problem(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    for word in words:
        assert word in body["detail"].lower(), body["detail"]


def test_register_login_me_logout(world: World) -> None:
    device = Device()
    origin = world.server.settings.origin
    me = device.register(world.client, world.invite(Role.SUPPORTER, "b"), origin)
    assert me["role"] == "supporter"
    assert me["institution"]["id"] == str(world.institutions["b"])
    assert me["network"]["slug"] == "north"

    token = device.login(world.client)
    assert token.startswith("ph1_")
    response = world.client.get("/api/v1/me", headers=device.headers)
    assert response.status_code == 200
    assert response.json()["account_id"] == me["account_id"]

    # Only a hash of the token is stored.
    async def stored(session):
        return (await session.exec(select(AccessToken.token_hash))).all()

    hashes = world.run(stored)
    assert len(hashes) == 1 and token.encode() not in hashes[0]

    assert (
        world.client.delete("/api/v1/auth/tokens/current", headers=device.headers).status_code
        == 204
    )
    assert_problem(world.client.get("/api/v1/me", headers=device.headers), 401, "revoked")


def test_invite_is_single_use_and_failed_redemption_changes_nothing(world: World) -> None:
    origin = world.server.settings.origin
    code = world.invite(Role.CLINICIAN)
    first, second = Device(), Device()
    first.register(world.client, code, origin)
    before = snapshot(world)
    response = world.client.post("/api/v1/accounts", json=second.registration(code, origin))
    assert_problem(response, 409, "already used")
    assert snapshot(world) == before


def test_expired_revoked_and_unknown_invites_are_refused(world: World) -> None:
    origin = world.server.settings.origin
    expired = world.invite(Role.CLINICIAN, ttl=timedelta(seconds=-1))
    unknown = "0000-0000-0000-0000"
    admin = world.device(Role.INSTITUTION_ADMIN)
    revoked = world.invite(Role.CLINICIAN)
    listing = world.client.get(
        f"/api/v1/institutions/{world.institutions['a']}/invites", headers=admin.headers
    ).json()
    open_ids = [i["id"] for i in listing if i["status"] == "open"]
    # Revoke the newest open invite (the one just made).
    revoke = world.client.delete(f"/api/v1/invites/{open_ids[0]}", headers=admin.headers)
    assert revoke.status_code == 200 and revoke.json()["status"] == "revoked"
    before = snapshot(world)
    for code in (expired, unknown, revoked):
        response = world.client.post("/api/v1/accounts", json=Device().registration(code, origin))
        assert_problem(response, 409, "invite code")
    assert snapshot(world) == before


def test_malformed_registrations_change_nothing(world: World) -> None:
    origin = world.server.settings.origin
    code = world.invite(Role.CLINICIAN)
    device = Device()
    good = device.registration(code, origin)
    other = Device().registration(code, origin)
    cases: list[tuple[Any, int, str]] = [
        ({**good, "signature": other["signature"]}, 422, "signature"),  # someone else's signature
        ({**good, "identity_key": other["identity_key"]}, 422, "signature"),  # key swapped
        ({**good, "invite_code": "not a code!!!!!!"}, 422, "malformed"),
        ({**good, "identity_key": "A" * 43}, 422, "ed25519"),  # not a curve point? or bad sig
        ({**good, "identity_key": "!" * 43}, 422, "base64"),
        ({**good, "signature": "A" * 87}, 422, ""),  # wrong length for 64 bytes
        ({**good, "extra": 1}, 422, "extra"),
        ({**good, "identity_key": 12345}, 422, "identity_key"),
        ({k: v for k, v in good.items() if k != "signature"}, 422, "signature"),
        ([good], 422, ""),
    ]
    before = snapshot(world)
    for body, status, word in cases:
        assert_problem(world.client.post("/api/v1/accounts", json=body), status, word)
    malformed = world.client.post(
        "/api/v1/accounts", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(malformed, 422, "json")
    assert snapshot(world) == before
    # The untouched invite still works afterwards.
    device.register(world.client, code, origin)


def test_registration_signature_is_bound_to_the_origin(world: World) -> None:
    code = world.invite(Role.CLINICIAN)
    body = Device().registration(code, "https://some-other-deployment.example")
    before = snapshot(world)
    assert_problem(world.client.post("/api/v1/accounts", json=body), 422, "signature")
    assert snapshot(world) == before


def test_same_identity_key_cannot_register_twice(world: World) -> None:
    origin = world.server.settings.origin
    device = Device()
    device.register(world.client, world.invite(Role.CLINICIAN), origin)
    second_code = world.invite(Role.CLINICIAN)
    before = snapshot(world)
    response = world.client.post("/api/v1/accounts", json=device.registration(second_code, origin))
    assert_problem(response, 409, "already registered")
    assert snapshot(world) == before


def test_challenges_are_single_use_and_expire(world: World) -> None:
    device = world.device(Role.CLINICIAN)
    challenge = world.client.post(
        "/api/v1/auth/challenges", json={"identity_key": device.public_b64}
    ).json()
    login = {
        "challenge_id": challenge["challenge_id"],
        "signature": device.sign_challenge(challenge),
    }
    assert world.client.post("/api/v1/auth/tokens", json=login).status_code == 201
    tokens = count(world, AccessToken)
    assert_problem(world.client.post("/api/v1/auth/tokens", json=login), 401, "challenge")
    assert count(world, AccessToken) == tokens

    # Expire a fresh challenge in the database: it is refused.
    challenge = world.client.post(
        "/api/v1/auth/challenges", json={"identity_key": device.public_b64}
    ).json()

    async def expire(session):
        await session.exec(
            sa.update(LoginChallenge)
            .where(LoginChallenge.id == uuid.UUID(challenge["challenge_id"]))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    world.run(expire)
    login = {
        "challenge_id": challenge["challenge_id"],
        "signature": device.sign_challenge(challenge),
    }
    assert_problem(world.client.post("/api/v1/auth/tokens", json=login), 401, "expired")
    assert count(world, AccessToken) == tokens


def test_login_with_wrong_key_or_unregistered_key_fails(world: World) -> None:
    device = world.device(Role.CLINICIAN)
    stranger = Device()
    tokens = count(world, AccessToken)
    # A stranger gets a challenge (no key probing) but cannot log in.
    challenge = world.client.post(
        "/api/v1/auth/challenges", json={"identity_key": stranger.public_b64}
    )
    assert challenge.status_code == 201
    login = {"challenge_id": challenge.json()["challenge_id"],
             "signature": stranger.sign_challenge(challenge.json())}  # fmt: skip
    assert_problem(world.client.post("/api/v1/auth/tokens", json=login), 401, "login failed")
    # A challenge for the device signed by someone else fails, and burns nothing.
    challenge = world.client.post(
        "/api/v1/auth/challenges", json={"identity_key": device.public_b64}
    )
    forged = {"challenge_id": challenge.json()["challenge_id"],
              "signature": stranger.sign_challenge(challenge.json())}  # fmt: skip
    assert_problem(world.client.post("/api/v1/auth/tokens", json=forged), 401, "login failed")
    genuine = {"challenge_id": challenge.json()["challenge_id"],
               "signature": device.sign_challenge(challenge.json())}  # fmt: skip
    assert world.client.post("/api/v1/auth/tokens", json=genuine).status_code == 201
    assert count(world, AccessToken) == tokens + 1


def test_expired_and_malformed_tokens(world: World) -> None:
    device = world.device(Role.CLINICIAN)

    async def expire(session):
        await session.exec(
            sa.update(AccessToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    world.run(expire)
    assert_problem(world.client.get("/api/v1/me", headers=device.headers), 401, "expired")
    for header in ("Bearer nonsense", "Bearer ph1_" + "x" * 43, "Basic abc", "Bearer " + "x" * 500):
        response = world.client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["content-type"].startswith(PROBLEM)
    assert_problem(world.client.get("/api/v1/me"), 401, "bearer")


def test_invite_roles_and_institutions_are_enforced(world: World) -> None:
    inst_admin = world.device(Role.INSTITUTION_ADMIN, "a")
    net_admin = world.device(Role.NETWORK_ADMIN, "b")
    a, b, c = (world.institutions[k] for k in "abc")

    def create(device: Device, institution: uuid.UUID, role: str) -> Any:
        return world.client.post(
            f"/api/v1/institutions/{institution}/invites", json={"role": role},
            headers=device.headers,
        )  # fmt: skip

    before = count(world, Invite)
    assert_problem(create(inst_admin, b, "clinician"), 403, "institution")
    assert_problem(create(inst_admin, a, "moderator"), 403, "cannot invite")
    assert_problem(create(inst_admin, a, "superuser"), 422, "role")
    assert_problem(create(net_admin, c, "clinician"), 403, "institution")  # other network
    assert_problem(create(net_admin, uuid.uuid4(), "clinician"), 404, "institution")
    assert count(world, Invite) == before

    made = create(inst_admin, a, "supporter")
    assert made.status_code == 201
    code = made.json()["code"]
    assert made.json()["status"] == "open"
    assert create(net_admin, a, "moderator").status_code == 201
    # The code is never listed again, and never stored in clear.
    listing = world.client.get(f"/api/v1/institutions/{a}/invites", headers=inst_admin.headers)
    assert code not in listing.text
    me = Device().register(world.client, code, world.server.settings.origin)
    assert me["role"] == "supporter" and me["institution"]["id"] == str(a)


def test_network_admin_sees_its_network(world: World) -> None:
    admin = world.device(Role.NETWORK_ADMIN, "a")
    network = world.client.get("/api/v1/network", headers=admin.headers).json()
    assert network["slug"] == "north"
    assert {i["slug"] for i in network["institutions"]} == {"inst-a", "inst-b"}
