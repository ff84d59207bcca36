"""Prometheus metrics, one registry per app (never the global default registry).

HTTP metrics are observed by `api.middleware`; the relay's come from `relay.writer` (batches,
queue depth, commit time, envelopes and acks) and `relay.connections` (open connections), so an
operator sees the relay's health on `/metrics`; the matching pools' come from `support.roster`.
Gauges that are a size of something in memory read it when scraped (`watch_*`), so the hot path
pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics"]

# Group-commit batch sizes: 1 (idle) up to the writer's default max_batch and beyond.
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
# Commit times: a fast SSD fsync is ~0.1 ms, a stalled disk or a busy PostgreSQL ~ seconds.
_COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "peerhaven_http_requests_total",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "peerhaven_http_request_seconds",
            "HTTP request latency by route template.",
            ["route"],
            registry=self.registry,
        )
        self.relay_batch_size = Histogram(
            "peerhaven_relay_batch_size",
            "Writes (sends and acks) per mailbox group commit.",
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self.relay_commit_seconds = Histogram(
            "peerhaven_relay_commit_seconds",
            "Time to write and commit one mailbox batch.",
            buckets=_COMMIT_BUCKETS,
            registry=self.registry,
        )
        self.relay_envelopes = Counter(
            "peerhaven_relay_envelopes_total",
            "Envelopes the mailbox writer handled, by outcome (accepted: persisted and to be "
            "delivered; duplicate: a re-send already accepted; refused: answered with an error).",
            ["outcome"],
            registry=self.registry,
        )
        self.relay_acks = Counter(
            "peerhaven_relay_acked_total",
            "Delivery ids recipients acknowledged (their mailbox entries are deleted).",
            registry=self.registry,
        )
        self.relay_batch_failures = Counter(
            "peerhaven_relay_batch_failures_total",
            "Mailbox batches that failed as a whole and were retried write by write.",
            registry=self.registry,
        )
        self.relay_queue_depth = Gauge(
            "peerhaven_relay_writer_queue_depth",
            "Writes waiting for the mailbox writer's next batch.",
            registry=self.registry,
        )
        self.relay_connections = Gauge(
            "peerhaven_relay_connections",
            "Open authenticated WebSocket connections in this worker.",
            registry=self.registry,
        )
        self.relay_accounts = Gauge(
            "peerhaven_relay_connected_accounts",
            "Accounts with at least one open WebSocket connection in this worker.",
            registry=self.registry,
        )

        self.pool_supporters = Gauge(
            "peerhaven_match_pool_supporters",
            "Supporters in this worker's in-memory matching pools (all networks).",
            registry=self.registry,
        )
        self.pool_build_seconds = Histogram(
            "peerhaven_match_pool_build_seconds",
            "Time to build one network's matching pool from the database.",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=self.registry,
        )
        self.pool_notes = Counter(
            "peerhaven_match_pool_notes_total",
            "Notes from other workers that supporters changed.",
            registry=self.registry,
        )
        self.pool_reloads = Counter(
            "peerhaven_match_pool_reloads_total",
            "Supporters re-read from the database into the matching pools.",
            registry=self.registry,
        )
        self.pool_stale = Counter(
            "peerhaven_match_pool_stale_total",
            "Candidates the reservation refused: the pool was behind the database, or another "
            "request took their last slot first. Each costs one retry.",
            registry=self.registry,
        )

    def watch_pool(self, supporters: Callable[[], int]) -> None:
        """Read the matching pools' size at each scrape."""
        self.pool_supporters.set_function(supporters)

    def watch_writer_queue(self, depth: Callable[[], int]) -> None:
        """Read the writer's queue depth at each scrape."""
        self.relay_queue_depth.set_function(depth)

    def watch_connections(
        self, connections: Callable[[], int], accounts: Callable[[], int]
    ) -> None:
        """Read the open connections and connected accounts at each scrape."""
        self.relay_connections.set_function(connections)
        self.relay_accounts.set_function(accounts)

    def render(self) -> bytes:
        return generate_latest(self.registry)
