"""The delivery lane: live deliveries leave in seq order, never ahead of a sync's backlog."""

from __future__ import annotations

from server.relay.lane import DeliveryLane, Verdict


def test_without_a_backlog_the_lane_is_open_at_the_cursor() -> None:
    lane = DeliveryLane(cursor=4, backlog=False)
    assert lane.open and lane.position == 4
    assert lane.offer(4) is Verdict.DROP
    assert lane.offer(5) is Verdict.SEND
    lane.sent(5)
    assert lane.offer(5) is Verdict.DROP  # the same publish twice
    assert lane.offer(7) is Verdict.CATCH_UP  # 6 was lost on the fast path


def test_with_a_backlog_the_lane_opens_with_the_first_sync_answer() -> None:
    lane = DeliveryLane(cursor=10, backlog=True)
    assert not lane.open
    lane.synced(after=3, last=12)  # the answer reached entries committed after the connect
    assert lane.open and lane.position == 12
    assert lane.offer(11) is Verdict.DROP and lane.offer(12) is Verdict.DROP
    assert lane.offer(13) is Verdict.SEND


def test_a_sync_answer_never_moves_the_lane_back() -> None:
    lane = DeliveryLane(cursor=2, backlog=True)
    lane.synced(after=0, last=None)  # everything was acknowledged meanwhile
    assert lane.position == 2
    lane.sent(9)
    lane.synced(after=0, last=5)  # a later sync from 0 re-sent only what is still held
    assert lane.position == 9
    lane.synced(after=20, last=None)  # the client says it has everything up to 20
    assert lane.position == 20
