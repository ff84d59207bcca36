"""A new flag and each escalation push to the devices of whoever must act, through a push
service on loopback: decrypted with the subscription's keys, the push holds the fixed notice
("A report needs a moderator") and nothing else, no category, room or pseudonym. Claims and
acknowledgements do not wake anyone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.accounts.roles import Role
from tests.integration.flows import Side
from tests.integration.moderation.desk import moderator, open_desk, person
from tests.integration.peers import custom_world
from tests.integration.push.pushservice import Browser, PushService, Received, push_service
from tests.world import World

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FLAG_NOTICE = {"kind": "flag", "title": "Peerhaven", "body": "A report needs a moderator"}


@pytest.fixture
def service() -> Iterator[PushService]:
    with push_service() as running:
        yield running


def _subscribe(world: World, who: Side, service: PushService, name: str) -> Browser:
    browser = Browser(endpoint=f"{service.base_url}/push/{name}-{uuid.uuid4().hex}")
    auth = {"Authorization": f"Bearer {who.client.token}"}
    response = world.client.post("/api/v1/push/subscriptions", json=browser.subscription(),
                                 headers=auth)  # fmt: skip
    assert response.status_code == 201, response.text
    return browser


def _by_path(service: PushService, count: int) -> dict[str, Received]:
    got = [service.next() for _ in range(count)]
    return {r.path: r for r in got}


async def test_flags_and_escalations_push_a_content_free_notice(
    database_url: str, tmp_path: Path, service: PushService
) -> None:
    with custom_world(database_url, tmp_path, push_https_only=False,
                      moderation_ack_crisis_seconds=0.6,
                      moderation_poll_seconds=0.05) as world:  # fmt: skip
        desk = await open_desk(world, tmp_path)
        backup = moderator(world, tmp_path, "backup", tier="backup", institution="b")
        admin = person(world, tmp_path, "admin", Role.NETWORK_ADMIN, "a")
        browsers = {
            "primary": _subscribe(world, desk.primary, service, "primary"),
            "backup": _subscribe(world, backup, service, "backup"),
            "admin": _subscribe(world, admin, service, "admin"),
            "member": _subscribe(world, desk.member, service, "member"),
        }
        path = {name: b.endpoint.removeprefix(service.base_url) for name, b in browsers.items()}

        flag = desk.member.client.flag_room(desk.flow.room_id, "crisis", note="worried")
        raised = service.next()
        assert raised.path == path["primary"]  # the on-duty primary only
        assert browsers["primary"].decrypt(raised) == FLAG_NOTICE
        for secret in (flag["id"], desk.flow.room_id, "crisis", "worried"):
            assert secret.encode() not in raised.body

        # Claimed, not acknowledged: no push for the claim; at the deadline the backup tier
        # (and the primary, still responsible) hear of it; then the admins as well.
        desk.primary.client.claim_flag(flag["id"])
        to_backup = _by_path(service, 2)
        assert set(to_backup) == {path["primary"], path["backup"]}
        assert browsers["backup"].decrypt(to_backup[path["backup"]]) == FLAG_NOTICE
        to_admins = _by_path(service, 3)
        assert set(to_admins) == {path["primary"], path["backup"], path["admin"]}
        assert browsers["admin"].decrypt(to_admins[path["admin"]]) == FLAG_NOTICE
        desk.primary.client.acknowledge_flag(flag["id"])
        assert service.nothing_within(0.5)  # acknowledging wakes nobody; the member never
