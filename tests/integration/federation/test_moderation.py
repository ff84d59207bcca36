"""Moderation of a cross-node room, with two live nodes: each member's flag reaches the
moderators of their own network only; franking verifies on the recipient's node for envelopes
that arrived by transaction (and an altered message does not); a moderator's close crosses to
the peer node."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from client import Peerhaven
from crypto.report import Report, RevealedMessage
from server.accounts.roles import Role
from tests.integration.federation.nodes import Node
from tests.integration.federation.test_rooms import (
    Federation,
    matched,
    person,
    relay,
    texts,
    wait_for,
)


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    built = Federation(tmp_path)
    yield built
    built.close()


def moderator(n: Node, folder: Path, opened: list[Peerhaven]) -> Peerhaven:
    found = person(n, folder, Role.MODERATOR, opened)
    found.register_report_key()
    found.set_duty(True, tier="primary")
    return found


async def test_flags_stay_home_verify_by_franking_and_a_close_crosses(
    fed: Federation, tmp_path: Path
) -> None:
    asker, helper, room = await asyncio.to_thread(matched, fed, tmp_path)
    mod_a = await asyncio.to_thread(moderator, fed.a, tmp_path / "mod-a", fed.people)
    mod_b = await asyncio.to_thread(moderator, fed.b, tmp_path / "mod-b", fed.people)
    async with relay(asker) as ann, relay(helper) as sam:
        await ann.send(room, "you should have known better")
        await ann.send(room, "everyone will hear of it")
        assert await texts(sam, 2) == ["you should have known better", "everyone will hear of it"]
        await sam.send(room, "I am ending this conversation")
        assert await texts(ann, 1) == ["I am ending this conversation"]
    # Each member flags on their own node, revealing what reached them by transaction.
    on_b = await asyncio.to_thread(helper.flag_room, room, "harassment", note="abusive",
                                   reveal=helper.keys.ledger().received)  # fmt: skip
    on_a = await asyncio.to_thread(asker.flag_room, room, "other", note="he left",
                                   reveal=asker.keys.ledger().received)  # fmt: skip
    assert [f["id"] for f in await asyncio.to_thread(mod_b.flags)] == [on_b["id"]]
    assert [f["id"] for f in await asyncio.to_thread(mod_a.flags)] == [on_a["id"]]
    for mod, flag, count in ((mod_b, on_b, 2), (mod_a, on_a, 1)):
        report = await asyncio.to_thread(lambda m=mod, f=flag: m.read_report(m.flag(f["id"])))
        assert len(report.messages) == count
        verdicts = await asyncio.to_thread(mod.verify_report, flag["id"], report)
        assert [v["verified"] for v in verdicts] == [True] * count
        assert not any(v["from_reporter"] for v in verdicts)
        first = report.messages[0]
        altered = RevealedMessage(first.id, first.sender, b"nothing happened",
                                  first.franking_key, first.tag)  # fmt: skip
        verdicts = await asyncio.to_thread(
            mod.verify_report, flag["id"], Report(report.category, report.note, (altered,))
        )
        assert [v["verified"] for v in verdicts] == [False]
    # Node B's moderator closes the room: it closes on node A too.
    await asyncio.to_thread(mod_b.claim_flag, on_b["id"])
    await asyncio.to_thread(mod_b.close_flagged_room, on_b["id"])
    assert (await asyncio.to_thread(helper.room, room))["status"] == "closed"
    await asyncio.to_thread(wait_for, lambda: asker.room(room)["status"] == "closed")
