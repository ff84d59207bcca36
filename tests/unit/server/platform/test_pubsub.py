from __future__ import annotations

import pytest

from server.platform.pubsub import RESYNC, MemoryPubSub, pubsub_from_url


async def test_publish_reaches_every_inbox_of_the_account_only() -> None:
    hub = MemoryPubSub()
    with hub.subscribe("alice") as one, hub.subscribe("alice") as two, hub.subscribe("bob") as bob:
        await hub.publish("alice", b"m1")
        assert one.get_nowait() == b"m1" and two.get_nowait() == b"m1"
        assert bob.empty()
    await hub.publish("alice", b"nobody listens")  # no error, nothing kept


async def test_a_full_inbox_is_replaced_by_resync() -> None:
    hub = MemoryPubSub(inbox_size=2)
    with hub.subscribe("alice") as inbox:
        for i in range(5):
            await hub.publish("alice", f"m{i}".encode())
        assert inbox.get_nowait() is RESYNC
        assert inbox.empty() or inbox.get_nowait() == b"m4"


def test_backend_chosen_by_url() -> None:
    assert isinstance(pubsub_from_url(None), MemoryPubSub)
    assert isinstance(pubsub_from_url("memory://"), MemoryPubSub)
    assert type(pubsub_from_url("redis://127.0.0.1:1/0")).__name__ == "RedisPubSub"
    with pytest.raises(ValueError, match="kafka"):
        pubsub_from_url("kafka://x")


async def test_topics_are_apart_from_accounts() -> None:
    hub = MemoryPubSub()
    with hub.listen("pool") as pool, hub.subscribe("pool") as account, hub.listen("other") as other:
        await hub.broadcast("pool", b"changed")
        assert pool.get_nowait() == b"changed"
        assert account.empty() and other.empty()
        await hub.publish("pool", b"an envelope")
        assert pool.empty() and account.get_nowait() == b"an envelope"


async def test_control_messages_survive_an_overflowing_inbox() -> None:
    from server.platform.pubsub import Control, Sequenced

    hub = MemoryPubSub(inbox_size=3)
    with hub.subscribe("alice") as inbox:
        await hub.publish("alice", Control("session_ended", {"token": "t"}))
        for i in range(10):
            await hub.publish("alice", Sequenced(i + 1, b"{}"))
        items = [inbox.get_nowait() for _ in range(inbox.qsize())]
    assert RESYNC in items
    assert Control("session_ended", {"token": "t"}) in items
