"""People for the support tests: devices with a role, a profile and small HTTP helpers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import func, select

from crypto import IdentityKeyPair, OneTimePreKey, SignedPreKey, sign_with_domain
from crypto.encoding import b64encode
from crypto.statements import ROOM_IDENTITY_DOMAIN, room_identity_payload
from server.accounts.roles import Role
from tests.devices import Device
from tests.live import serve
from tests.world import World, make_settings, seed_world

__all__ = [
    "PROBLEM",
    "Person",
    "RoomKeys",
    "assert_problem",
    "clinician",
    "count",
    "custom_world",
    "supporter",
]

PROBLEM = "application/problem+json"
PSYCHIATRY = "2084P0800X"
EMERGENCY = "207P00000X"


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    for word in words:
        assert word in body["detail"].lower(), body["detail"]
    return body


def count(world: World, model: Any, *where: Any) -> int:
    async def go(session: Any) -> int:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)
        result: int = (await session.exec(query)).one()
        return result

    result: int = world.run(go)
    return result


@dataclass
class Person:
    world: World
    device: Device
    me: dict[str, Any]

    @property
    def account_id(self) -> str:
        return str(self.me["account_id"])

    def call(self, method: str, path: str, json: Any = None) -> httpx.Response:
        return self.world.client.request(method, path, json=json, headers=self.device.headers)

    def ok(self, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        response = self.call(method, path, json)
        assert response.status_code == status, response.text
        return response.json()

    def ask(self, topics: tuple[str, ...] = ("adverse-event",), **extra: Any) -> dict[str, Any]:
        body = {"topics": list(topics), **extra}
        found: dict[str, Any] = self.ok("POST", "/api/v1/support-requests", body, status=201)
        return found

    def offers(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.ok("GET", "/api/v1/offers")
        return found


def _person(world: World, role: Role, institution: str) -> Person:
    device = Device()
    origin = world.server.settings.origin
    me = device.register(world.client, world.invite(role, institution), origin)
    device.login(world.client)
    return Person(world=world, device=device, me=me)


def clinician(
    world: World,
    institution: str = "a",
    *,
    specialty: str = EMERGENCY,
    years: int = 6,
    languages: tuple[str, ...] = ("en",),
) -> Person:
    person = _person(world, Role.CLINICIAN, institution)
    person.ok("PUT", "/api/v1/profile", {
        "specialty": specialty, "years_experience": years, "career_stage": "early-career",
        "languages": list(languages), "time_zone": "America/Chicago",
    })  # fmt: skip
    return person


def supporter(
    world: World,
    institution: str = "b",
    *,
    specialty: str = EMERGENCY,
    years: int = 12,
    concurrent_cap: int = 2,
    weekly_cap: int = 5,
    topics: tuple[str, ...] = ("adverse-event",),
    available: bool = True,
) -> Person:
    person = _person(world, Role.SUPPORTER, institution)
    person.ok("PUT", "/api/v1/profile", {
        "specialty": specialty, "years_experience": years, "career_stage": "mid-career",
        "languages": ["en"], "time_zone": "America/New_York",
    })  # fmt: skip
    person.ok("PUT", "/api/v1/supporter-profile", {
        "topic_expertise": list(topics), "concurrent_cap": concurrent_cap,
        "weekly_cap": weekly_cap, "available": available,
    })  # fmt: skip
    return person


@dataclass
class RoomKeys:
    """A member's room identity and prekeys, made the way the client makes them."""

    identity: IdentityKeyPair
    signed_prekey: SignedPreKey
    one_time: list[OneTimePreKey]

    @classmethod
    def fresh(cls, one_time: int = 3) -> RoomKeys:
        identity = IdentityKeyPair.generate()
        return cls(identity, SignedPreKey.generate(identity, 1),
                   [OneTimePreKey.generate(i) for i in range(1, one_time + 1)])  # fmt: skip

    def registration(self, person: Person, room: dict[str, Any]) -> dict[str, str]:
        payload = room_identity_payload(
            origin=person.world.server.settings.origin,
            room_id=str(uuid.UUID(room["id"])),
            member_id=str(uuid.UUID(room["me"]["member_id"])),
            room_key=self.identity.public_key,
        )
        device = IdentityKeyPair(bytes(person.device.key))
        signature = sign_with_domain(device, ROOM_IDENTITY_DOMAIN, payload)
        return {"identity_key": b64encode(self.identity.public_key),
                "signature": b64encode(signature)}  # fmt: skip

    def prekeys(self) -> dict[str, Any]:
        spk = self.signed_prekey
        return {
            "signed_prekey": {"key_id": spk.key_id, "public_key": b64encode(spk.public_key),
                              "signature": b64encode(spk.signature)},
            "one_time_prekeys": [{"key_id": k.key_id, "public_key": b64encode(k.public_key)}
                                 for k in self.one_time],
        }  # fmt: skip

    def join(self, person: Person, room: dict[str, Any]) -> dict[str, Any]:
        path = f"/api/v1/rooms/{room['id']}"
        registration = self.registration(person, room)
        joined: dict[str, Any] = person.ok("PUT", f"{path}/identity", registration)
        person.ok("POST", f"{path}/prekeys", self.prekeys())
        return joined


def matched_room(world: World) -> tuple[Person, Person, dict[str, Any], dict[str, Any]]:
    """A clinician (institution a) and a supporter (b) in a fresh room: (c, s, c_room, s_room)."""
    helper = supporter(world, "b")
    asker = clinician(world, "a")
    asker.ask()
    (offer,) = helper.offers()
    s_room = helper.ok("POST", f"/api/v1/offers/{offer['id']}/accept")
    c_room = asker.ok("GET", f"/api/v1/rooms/{s_room['id']}")
    return asker, helper, c_room, s_room


@contextmanager
def custom_world(database_url: str, tmp_path: Path, **overrides: Any) -> Iterator[World]:
    """Like the `world` fixture, with settings overrides."""
    settings = make_settings(database_url, tmp_path / "var", **overrides)
    with serve(settings) as server, server.client() as client:
        built = World(server=server, client=client)
        seed_world(built)
        yield built
