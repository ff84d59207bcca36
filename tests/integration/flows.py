"""Two people through the real server with the Python client: a clinician (institution a) and a
supporter (b) from request to a room in which both have joined with room-scoped keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from client import KeyFolder, Peerhaven
from crypto.primitives import ARGON2ID_MEMLIMIT_MIN, ARGON2ID_OPSLIMIT_MIN
from server.accounts.roles import Role
from tests.world import World

__all__ = ["Flow", "Side", "build_flow", "side"]


@dataclass
class Side:
    client: Peerhaven
    me: dict[str, Any]
    seen: list[bytes] = field(default_factory=list)  # every response body this side received


def side(world: World, tmp_path: Path, name: str, role: Role, institution: str) -> Side:
    seen: list[bytes] = []

    def record(response: httpx.Response) -> None:
        response.read()
        seen.append(response.content + str(response.headers).encode())

    http = httpx.Client(base_url=world.server.base_url, timeout=30,
                        event_hooks={"response": [record]})  # fmt: skip
    keys = KeyFolder(tmp_path / name, "correct horse battery staple",
                     opslimit=ARGON2ID_OPSLIMIT_MIN, memlimit=ARGON2ID_MEMLIMIT_MIN)  # fmt: skip
    # Configured as a user would be: with the deployment's public origin if it has one.
    client = Peerhaven(world.server.base_url, keys=keys, http=http,
                       origin=world.server.settings.public_origin)  # fmt: skip
    client.register(world.invite(role, institution))
    me = client.login()
    return Side(client=client, me=me, seen=seen)


@dataclass
class Flow:
    clinician: Side
    supporter: Side
    room_id: str
    request: dict[str, Any]


def build_flow(world: World, tmp_path: Path) -> Flow:
    clinician = side(world, tmp_path, "clinician", Role.CLINICIAN, "a")
    supporter = side(world, tmp_path, "supporter", Role.SUPPORTER, "b")
    supporter.client.set_profile(specialty="207P00000X", years_experience=15,
                                 career_stage="senior", languages=["en", "de"],
                                 time_zone="Europe/Berlin")  # fmt: skip
    supporter.client.set_supporter_profile(topic_expertise=["adverse-event", "burnout"])
    clinician.client.set_profile(specialty="207P00000X", years_experience=4,
                                 career_stage="resident", languages=["en"],
                                 time_zone="America/Chicago")  # fmt: skip
    request = clinician.client.request_support(["adverse-event"])
    assert request["status"] == "offered"
    (offer,) = supporter.client.offers()
    room = supporter.client.accept_offer(offer["id"])
    assert clinician.client.request_status(request["id"])["room_id"] == room["id"]
    supporter.client.join_room(room["id"])
    clinician.client.join_room(room["id"])
    return Flow(clinician=clinician, supporter=supporter, room_id=room["id"], request=request)
