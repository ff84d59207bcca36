"""The demo's check-in path as an operator runs it: `peerhaven demo` seeds a credential and a
sample event, `peerhaven checkins sign` signs it, the intake takes it once."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from server.demo import DEMO_STAFF_IDENTIFIER
from tests.integration.accounts.test_cli import peerhaven
from tests.live import serve
from tests.world import make_settings


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_credential_signs_the_sample_event(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "var"
    env = {"PEERHAVEN_DATABASE_URL": database_url, "PEERHAVEN_DATA_DIR": str(data)}
    assert peerhaven(env, "migrate").returncode == 0
    seeded = peerhaven(env, "demo", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr
    secret = (data / "demo-integration-secret").read_text()
    assert secret.startswith("phs_") and secret not in seeded.stdout  # shown by path only
    for name in ("demo-integration-secret", "demo-checkins.txt", "demo-adverse-event.json"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600
    assert "curl" in seeded.stdout and DEMO_STAFF_IDENTIFIER in seeded.stdout
    command = next(line for line in seeded.stdout.splitlines() if "checkins sign" in line)
    sign_args = command.split("@<(", 1)[1].rsplit(")", 1)[0].split()[1:]  # drop "peerhaven"
    event = (data / "demo-adverse-event.json").read_bytes()
    with serve(make_settings(database_url, data)) as server, server.client() as client:
        for expected in ("accepted", "duplicate"):
            signed = peerhaven(env, *sign_args)
            assert signed.returncode == 0, signed.stderr
            headers = dict(line.split(": ", 1) for line in signed.stdout.splitlines())
            headers["Content-Type"] = "application/fhir+json"
            response = client.post("/api/v1/intake/adverse-events", content=event,
                                   headers=headers)  # fmt: skip
            assert response.status_code == 202, response.text
            assert response.json() == {"status": expected}
    body_file = str(data / "demo-adverse-event.json")
    no_secret = {**env, "PEERHAVEN_INTEGRATION_SECRET": ""}
    missing = peerhaven(no_secret, "checkins", "sign", "--credential", "x", "--body", body_file)
    assert missing.returncode == 2 and "secret" in missing.stderr
