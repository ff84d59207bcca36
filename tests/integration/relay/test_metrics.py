"""Relay health on `/metrics`: batches, commit time, envelopes, acks, queue depth, connections."""

from __future__ import annotations

import re

import pytest

from tests.integration.flows import Flow
from tests.integration.relay.test_relay import first_envelope, send_frame, token
from tests.integration.sockets import open_socket
from tests.world import World

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def sample(text: str, name: str) -> float:
    """The value of one sample line, e.g. `peerhaven_relay_connections` or `x{a="b"}`."""
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match is not None, name
    return float(match.group(1))


@SQLITE_ONLY
async def test_relay_metrics_follow_sends_acks_and_connections(world: World, flow: Flow) -> None:
    before = world.metrics()
    assert sample(before, "peerhaven_relay_connections") == 0
    assert sample(before, "peerhaven_relay_writer_queue_depth") == 0

    alice = await open_socket(world.server.base_url, token(flow.clinician))
    bob = await open_socket(world.server.base_url, token(flow.supporter))
    envelope = first_envelope(flow)
    await alice.send(send_frame(envelope))
    await alice.expect("accepted")
    await alice.send(send_frame(envelope))  # a re-send: a duplicate, not a second delivery
    await alice.expect("accepted")
    delivered = await bob.expect("deliver")
    await bob.send({"type": "ack", "ids": [delivered["id"]]})
    await bob.send({"type": "ping"})
    await bob.expect("pong")

    text = world.metrics()
    assert sample(text, "peerhaven_relay_connections") == 2
    assert sample(text, "peerhaven_relay_connected_accounts") == 2
    assert sample(text, 'peerhaven_relay_envelopes_total{outcome="accepted"}') == 1
    assert sample(text, 'peerhaven_relay_envelopes_total{outcome="duplicate"}') == 1
    assert sample(text, "peerhaven_relay_acked_total") == 1
    # Three writes (two sends, one ack), however the writer grouped them.
    assert sample(text, "peerhaven_relay_batch_size_sum") == 3
    assert 1 <= sample(text, "peerhaven_relay_batch_size_count") <= 3
    assert sample(text, "peerhaven_relay_commit_seconds_count") == sample(
        text, "peerhaven_relay_batch_size_count"
    )
    assert sample(text, "peerhaven_relay_commit_seconds_sum") > 0
    # Metadata only: no envelope bytes, no token.
    assert envelope.encode().decode() not in text and token(flow.clinician) not in text

    await alice.close()
    await bob.close()
    for _ in range(50):  # the server notices the close on its own schedule
        after = world.metrics()
        if sample(after, "peerhaven_relay_connections") == 0:
            break
    assert sample(after, "peerhaven_relay_connections") == 0
    assert sample(after, "peerhaven_relay_connected_accounts") == 0
