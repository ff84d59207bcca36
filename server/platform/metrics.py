"""Prometheus metrics, one registry per app (never the global default registry)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

__all__ = ["Metrics"]


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

    def render(self) -> bytes:
        return generate_latest(self.registry)
