"""The relay's inbox: FIFO, bounded like `asyncio.Queue`, one reader woken per put, and nothing
held while idle (every open socket keeps one)."""

from __future__ import annotations

import asyncio

import pytest

from server.platform.pubsub import RESYNC, Inbox


async def test_fifo_bounded_and_a_waiting_reader_is_woken() -> None:
    inbox = Inbox(maxsize=2)
    assert inbox.empty() and inbox.qsize() == 0
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait(b"one")
    assert await asyncio.wait_for(reader, 1) == b"one"
    inbox.put_nowait(b"two")
    inbox.put_nowait(RESYNC)
    with pytest.raises(asyncio.QueueFull):
        inbox.put_nowait(b"three")
    assert inbox.qsize() == 2
    assert await inbox.get() == b"two" and inbox.get_nowait() is RESYNC
    with pytest.raises(asyncio.QueueEmpty):
        inbox.get_nowait()
    assert inbox._items is None and inbox._waiter is None  # idle: no buffer, no future


async def test_a_cancelled_reader_leaves_the_inbox_usable() -> None:
    inbox = Inbox()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert inbox._waiter is None
    inbox.put_nowait(b"after")
    assert await asyncio.wait_for(inbox.get(), 1) == b"after"
