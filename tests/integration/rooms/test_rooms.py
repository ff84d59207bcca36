"""Rooms: room-scoped identities, the key directory, leave / close / block."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import httpx
import pytest

from crypto import IdentityKeyPair, PreKeyBundle
from crypto.encoding import b64encode
from server.db.models import Block, OneTimePreKey, RoomMember
from tests.integration.peers import (
    RoomKeys,
    assert_problem,
    clinician,
    count,
    custom_world,
    matched_room,
)
from tests.integration.sockets import open_socket
from tests.world import World

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _members(world: World) -> list[tuple[bytes | None, int | None]]:
    async def go(session):  # type: ignore[no-untyped-def]
        rows = await session.exec(
            RoomMember.__table__.select().order_by(RoomMember.__table__.c.id)  # type: ignore[attr-defined]
        )
        return [(r.identity_key, r.signed_prekey_id) for r in rows]

    result: list[tuple[bytes | None, int | None]] = world.run(go)
    return result


@SQLITE
def test_a_forged_or_malformed_room_identity_is_refused(world: World) -> None:
    asker, helper, c_room, s_room = matched_room(world)
    keys = RoomKeys.fresh()
    path = f"/api/v1/rooms/{c_room['id']}/identity"
    before = _members(world)
    # Signed by someone else's device (the peer's), or for another key: refused.
    assert_problem(asker.call("PUT", path, keys.registration(helper, s_room)), 422, "signature")
    wrong_key = {**keys.registration(asker, c_room),
                 "identity_key": b64encode(RoomKeys.fresh().identity.public_key)}  # fmt: skip
    assert_problem(asker.call("PUT", path, wrong_key), 422, "signature")
    assert_problem(asker.call("PUT", path, {"identity_key": "x" * 43, "signature": "y" * 86}), 422)
    assert _members(world) == before


@SQLITE
def test_the_device_key_cannot_be_a_room_identity(world: World) -> None:
    asker, _, c_room, _ = matched_room(world)
    keys = RoomKeys.fresh()
    device_as_room_key = RoomKeys(IdentityKeyPair(bytes(asker.device.key)), keys.signed_prekey, [])
    own = device_as_room_key.registration(asker, c_room)
    before = _members(world)
    assert_problem(
        asker.call("PUT", f"/api/v1/rooms/{c_room['id']}/identity", own), 422, "fresh key"
    )
    assert _members(world) == before


@SQLITE
def test_a_room_does_not_exist_for_outsiders(world: World) -> None:
    asker, _, c_room, _ = matched_room(world)
    path = f"/api/v1/rooms/{c_room['id']}/identity"
    outsider = clinician(world, "c")
    before = _members(world)
    assert_problem(outsider.call("PUT", path, RoomKeys.fresh().registration(asker, c_room)), 404)
    assert_problem(outsider.call("GET", f"/api/v1/rooms/{c_room['id']}"), 404)
    assert_problem(asker.call("GET", f"/api/v1/rooms/{uuid.uuid4()}"), 404)
    assert _members(world) == before


@SQLITE
def test_a_room_identity_is_registered_once(world: World) -> None:
    asker, _, c_room, _ = matched_room(world)
    path = f"/api/v1/rooms/{c_room['id']}/identity"
    registration = RoomKeys.fresh().registration(asker, c_room)
    joined = asker.ok("PUT", path, registration)
    assert joined["me"]["identity_key"] == registration["identity_key"]
    after = _members(world)
    # A replayed registration (same signature) or a second key: refused, nothing changes.
    assert_problem(asker.call("PUT", path, registration), 409, "already registered")
    assert_problem(asker.call("PUT", path, RoomKeys.fresh().registration(asker, c_room)), 409)
    assert _members(world) == after


@SQLITE
def test_room_keys_and_registrations_are_per_room(world: World) -> None:
    asker, _, c_room, _ = matched_room(world)
    keys = RoomKeys.fresh()
    registration = keys.registration(asker, c_room)
    asker.ok("PUT", f"/api/v1/rooms/{c_room['id']}/identity", registration)
    # The same room key in another room is refused (keys are per room).
    second_asker, _, other_room, _ = matched_room(world)
    reused = keys.registration(second_asker, other_room)
    assert_problem(
        second_asker.call("PUT", f"/api/v1/rooms/{other_room['id']}/identity", reused), 409
    )
    # And a registration signed for one room is worthless in another.
    replayed = asker.call("PUT", f"/api/v1/rooms/{other_room['id']}/identity", registration)
    assert_problem(replayed, 404)
    assert_problem(
        second_asker.call("PUT", f"/api/v1/rooms/{other_room['id']}/identity", registration),
        422,
        "signature",
    )


@SQLITE
def test_prekey_uploads_are_verified_and_bundles_are_claimed_once(world: World) -> None:
    asker, helper, c_room, s_room = matched_room(world)
    c_keys, s_keys = RoomKeys.fresh(one_time=2), RoomKeys.fresh()
    prekeys = f"/api/v1/rooms/{c_room['id']}/prekeys"
    bundle_path = f"/api/v1/rooms/{c_room['id']}/peer-bundle"

    assert_problem(asker.call("POST", prekeys, c_keys.prekeys()), 409, "register")
    asker.ok("PUT", f"/api/v1/rooms/{c_room['id']}/identity", c_keys.registration(asker, c_room))
    assert_problem(helper.call("POST", bundle_path), 409, "not published")

    bad = c_keys.prekeys()
    bad["signed_prekey"]["signature"] = b64encode(bytes(64))
    assert_problem(asker.call("POST", prekeys, bad), 422, "signature")
    other = RoomKeys.fresh().prekeys()  # signed by a key that is not this room identity
    assert_problem(asker.call("POST", prekeys, other), 422, "signature")
    assert_problem(asker.call("POST", prekeys, {"one_time_prekeys": []}), 422, "signed prekey")
    assert count(world, OneTimePreKey) == 0
    assert _members(world)[0][1] is None and _members(world)[1][1] is None

    assert asker.ok("POST", prekeys, c_keys.prekeys()) == {"one_time_prekeys_available": 2}
    reused = {"one_time_prekeys": c_keys.prekeys()["one_time_prekeys"][:1]}
    assert_problem(asker.call("POST", prekeys, reused), 409, "never reused")
    assert count(world, OneTimePreKey) == 2

    s_keys.join(helper, s_room)
    served = []
    for _ in range(2):
        claimed = helper.ok("POST", bundle_path)
        bundle = PreKeyBundle.from_json(claimed["bundle"])  # verifies
        assert bundle.identity_key == c_keys.identity.public_key
        assert claimed["member_id"] == c_room["me"]["member_id"]
        served.append(bundle.one_time_prekey_id)
    assert sorted(served) == [1, 2]
    # None left: the bundle comes without a one-time prekey (X3DH with three DH), not a 409.
    for _ in range(2):
        claimed = helper.ok("POST", bundle_path)
        assert "opk" not in claimed["bundle"] and "opk_id" not in claimed["bundle"]
        bundle = PreKeyBundle.from_json(claimed["bundle"])
        assert bundle.one_time_prekey is None and bundle.identity_key == c_keys.identity.public_key
    # The clinician's two are claimed, the supporter's own three are not.
    assert count(world, OneTimePreKey, OneTimePreKey.claimed_at == None) == 3  # noqa: E711
    assert count(world, OneTimePreKey) == 5


def test_one_time_prekeys_are_served_once_under_concurrency(
    database_url: str, tmp_path: Path
) -> None:
    with custom_world(database_url, tmp_path) as world:
        asker, helper, c_room, s_room = matched_room(world)
        RoomKeys.fresh(one_time=5).join(asker, c_room)
        RoomKeys.fresh().join(helper, s_room)
        barrier = threading.Barrier(8)
        outcomes: list[int | str] = []
        lock = threading.Lock()

        def claim() -> None:
            with httpx.Client(base_url=world.server.base_url, timeout=30) as client:
                barrier.wait()
                response = client.post(f"/api/v1/rooms/{s_room['id']}/peer-bundle",
                                       headers=helper.device.headers)  # fmt: skip
            with lock:
                assert response.status_code == 200, response.text
                outcomes.append(response.json()["bundle"].get("opk_id", "none"))

        threads = [threading.Thread(target=claim) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        served = sorted(o for o in outcomes if isinstance(o, int))
        assert served == [1, 2, 3, 4, 5]
        assert [o for o in outcomes if isinstance(o, str)] == ["none"] * 3


@SQLITE
def test_leave_close_and_block(world: World) -> None:
    asker, helper, c_room, s_room = matched_room(world)
    closed = asker.ok("POST", f"/api/v1/rooms/{c_room['id']}/close")
    assert closed["status"] == "closed"
    assert helper.ok("GET", f"/api/v1/rooms/{s_room['id']}")["status"] == "closed"
    keys = RoomKeys.fresh()
    assert_problem(asker.call("PUT", f"/api/v1/rooms/{c_room['id']}/identity",
                              keys.registration(asker, c_room)), 409, "closed")  # fmt: skip
    left = helper.ok("POST", f"/api/v1/rooms/{s_room['id']}/leave")
    assert left["me"]["left"] is True
    assert asker.ok("GET", f"/api/v1/rooms/{c_room['id']}")["peer"]["left"] is True
    assert_problem(helper.call("POST", f"/api/v1/rooms/{s_room['id']}/leave"), 409, "left")

    # The supporter's capacity is free again, but a blocked pair is never matched again.
    assert asker.ask()["status"] == "offered"
    (offer,) = helper.offers()
    room = helper.ok("POST", f"/api/v1/offers/{offer['id']}/accept")
    blocked = asker.ok("POST", f"/api/v1/rooms/{room['id']}/block")
    assert blocked["status"] == "closed"
    assert count(world, Block) == 1
    asker.ok("POST", f"/api/v1/rooms/{room['id']}/block")  # idempotent
    assert count(world, Block) == 1
    assert asker.ask()["status"] == "unavailable"
    # The other direction: a supporter who blocks is never offered that clinician again.
    helper.ok("PUT", "/api/v1/supporter-profile/availability", {"available": False})
    second_asker, second_helper, _, room = matched_room(world)
    second_helper.ok("POST", f"/api/v1/rooms/{room['id']}/block")
    assert second_asker.ask()["status"] == "unavailable"
    assert count(world, Block) == 2


async def test_the_owner_is_told_when_one_time_prekeys_run_low(
    database_url: str, tmp_path: Path
) -> None:
    with custom_world(database_url, tmp_path, prekeys_low_threshold=2) as world:
        asker, helper, c_room, s_room = matched_room(world)
        RoomKeys.fresh(one_time=3).join(asker, c_room)
        RoomKeys.fresh().join(helper, s_room)
        owner = await open_socket(world.server.base_url, asker.device.token)
        bystander = await open_socket(world.server.base_url, helper.device.token)
        try:
            path = f"/api/v1/rooms/{s_room['id']}/peer-bundle"
            helper.ok("POST", path)  # 2 left: not below the threshold
            with pytest.raises(TimeoutError):
                await owner.recv(0.3)
            low = []
            for _ in range(3):  # 1 left, 0 left, and a bundle without one
                helper.ok("POST", path)
                low.append(await owner.expect("notify", skip=frozenset()))
            assert [n["event"] for n in low] == ["prekeys_low"] * 3
            assert [n["data"] for n in low] == [
                {"room": s_room["id"], "available": count} for count in ("1", "0", "0")
            ]
            # Only the owner is told, and the notification names nothing of the claimer.
            with pytest.raises(TimeoutError):
                await bystander.recv(0.3)
        finally:
            await owner.close()
            await bystander.close()
