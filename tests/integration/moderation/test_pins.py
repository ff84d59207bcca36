"""A member's device seals reports only to moderator keys it can authenticate: through the real
server, a report key the server swaps into a moderator's statement, and a "moderator" added
after the member pinned the roster, are refused by the SDK; the report goes to the moderators
the member trusts, and the substituted key cannot open it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlmodel import col, update

from crypto import DecryptionError
from crypto.report import ReportKeyPair, SealedReport, open_report
from server.db.models import ReportKey
from tests.integration.moderation.desk import moderator, open_desk
from tests.world import World

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_a_server_substituted_or_added_moderator_key_is_refused(
    world: World, tmp_path: Path
) -> None:
    desk = await open_desk(world, tmp_path)
    room = desk.flow.room_id
    first = desk.member.client.report_keys(room)  # first use: the roster is pinned
    primary_key = desk.primary.client.keys.report_key().public_key
    assert first.report_keys == (primary_key,) and (first.forged, first.new) == (0, 0)

    # A "moderator" the member's device never saw before (to the member, indistinguishable
    # from a key the server made up): listed, validly signed by its own device, refused.
    late = moderator(world, tmp_path, "late", tier="backup")
    late_key = late.client.keys.report_key().public_key
    roster = desk.member.client.report_keys(room)
    assert roster.report_keys == (primary_key,) and roster.new == 1

    # The server swaps its own key into the pinned moderator's statement.
    attacker = ReportKeyPair.generate()
    primary_id = uuid.UUID(desk.primary.me["account_id"])

    async def swap(session):  # type: ignore[no-untyped-def]
        await session.exec(update(ReportKey).where(col(ReportKey.account_id) == primary_id)
                           .values(public_key=attacker.public_key))  # fmt: skip
        await session.commit()

    world.run(swap)
    swapped = desk.member.client.report_keys(room)
    assert swapped.forged == 1 and primary_key not in swapped.report_keys
    assert attacker.public_key not in swapped.report_keys

    # The member trusts the new moderator; the report is sealed to them alone and the
    # substituted key cannot open it.
    desk.member.client.accept_new_moderators()
    flag = desk.member.client.flag_room(room, "harassment", note="sealed to trusted keys only")
    stored = SealedReport.decode(late.client.flag(flag["id"])["sealed_report"])
    assert stored.recipient_keys == frozenset({late_key})
    assert late.client.read_report(late.client.flag(flag["id"])).note.startswith("sealed")
    with pytest.raises(DecryptionError):
        open_report(stored, room=room, category="harassment", keys=attacker)
