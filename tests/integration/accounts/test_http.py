"""The HTTP surface: health, metrics, docs, the entry page, and problem details for every error."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from server.accounts.roles import Role
from server.app import create_app
from server.config import Settings
from tests.devices import Device
from tests.live import serve
from tests.world import World, make_settings, seed_world

PROBLEM = "application/problem+json"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_health_docs_and_index(world: World) -> None:
    health = world.client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok", "database": "ok"}
    docs = world.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "/api/v1/me" in world.client.get("/openapi.json").json()["paths"]
    index = world.client.get("/")
    assert index.status_code == 200 and "Peerhaven" in index.text


async def test_health_reports_an_unreachable_database(tmp_path: Path) -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", data_dir=tmp_path
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


METRICS_TOKEN = "metrics-" + "k" * 40


@SQLITE_ONLY
def test_metrics_are_not_public(database_url: str, tmp_path: Path) -> None:
    # No metrics token configured (the default): nobody can read them, authenticated or not.
    settings = make_settings(database_url, tmp_path, metrics_token=None)
    with serve(settings) as server, server.client() as client:
        world = World(server=server, client=client)
        seed_world(world)
        device = world.device(Role.NETWORK_ADMIN)
        for headers in ({}, device.headers):
            response = client.get("/metrics", headers=headers)
            assert response.status_code == 404
            assert "peerhaven_http_requests_total" not in response.text
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]


@SQLITE_ONLY
def test_metrics_need_the_metrics_token(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, metrics_token=METRICS_TOKEN)
    with serve(settings) as server, server.client() as client:
        world = World(server=server, client=client)
        seed_world(world)
        device = world.device(Role.CLINICIAN)
        client.get("/api/v1/me", headers=device.headers)
        for headers in ({}, device.headers, {"authorization": "Bearer " + METRICS_TOKEN[:-1]}):
            refused = client.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["content-type"].startswith(PROBLEM)
            assert "peerhaven_http" not in refused.text
        text = client.get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"}).text
    assert 'peerhaven_http_requests_total{method="GET",route="/api/v1/me",status="200"}' in text
    assert device.token is not None and device.token not in text


def test_a_weak_metrics_token_is_refused(tmp_path: Path) -> None:
    for weak in ("changeme", "short-token"):
        with pytest.raises(ValueError, match="METRICS_TOKEN"):
            Settings(data_dir=tmp_path, metrics_token=weak)


@SQLITE_ONLY
def test_errors_are_problem_details(world: World) -> None:
    json_type = {"content-type": "application/json"}
    for response, status in (
        (world.client.get("/no/such/route"), 404),
        (world.client.put("/api/v1/me"), 405),
        (world.client.post("/api/v1/auth/challenges", content=b"[", headers=json_type), 422),
        (world.client.post("/api/v1/auth/challenges", json={"identity_key": 7}), 422),
    ):
        assert response.status_code == status
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["status"] == status and response.json()["detail"]


@SQLITE_ONLY
def test_validation_errors_do_not_echo_input(world: World) -> None:
    secret_looking = "S3CRET-" + "q" * 50
    response = world.client.post("/api/v1/auth/challenges", json={"identity_key": secret_looking})
    assert response.status_code == 422
    assert secret_looking not in response.text


@SQLITE_ONLY
def test_oversized_bodies_are_refused(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, max_body_bytes=2048)
    with serve(settings) as server, server.client() as client:
        big = {"identity_key": "A" * 10_000}
        response = client.post("/api/v1/auth/challenges", json=big)
        assert response.status_code == 413
        assert response.headers["content-type"].startswith(PROBLEM)

        def chunks():  # no Content-Length: the limit applies while streaming
            for _ in range(10):
                yield b"x" * 1024

        streamed = client.post(
            "/api/v1/auth/challenges",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert streamed.status_code == 413
        assert streamed.headers["content-type"].startswith(PROBLEM)


@SQLITE_ONLY
def test_registration_and_login_are_rate_limited(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        database_url, tmp_path, registrations_per_hour=2, auth_attempts_per_minute=3
    )
    with serve(settings) as server, server.client() as client:
        body = Device().registration("0000-0000-0000-0000", server.settings.origin)
        statuses = [client.post("/api/v1/accounts", json=body).status_code for _ in range(3)]
        assert statuses == [409, 409, 429]
        limited = client.post("/api/v1/accounts", json=body)
        assert limited.headers["content-type"].startswith(PROBLEM)
        assert int(limited.headers["retry-after"]) >= 1
        key = {"identity_key": Device().public_b64}
        statuses = [client.post("/api/v1/auth/challenges", json=key).status_code for _ in range(4)]
        assert statuses == [201, 201, 201, 429]
