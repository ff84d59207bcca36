"""The `peerhaven` command as an operator runs it: migrate, demo, admin."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.devices import Device
from tests.live import serve
from tests.world import make_settings

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def peerhaven(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@SQLITE_ONLY
def test_migrate_demo_and_admin_commands(database_url: str, tmp_path: Path) -> None:
    env = {"PEERHAVEN_DATABASE_URL": database_url, "PEERHAVEN_DATA_DIR": str(tmp_path / "var")}
    assert peerhaven(env, "migrate").returncode == 0

    first = peerhaven(env, "demo", "--if-empty")
    assert first.returncode == 0, first.stderr
    invites_file = tmp_path / "var" / "demo-invites.txt"
    assert stat.S_IMODE(invites_file.stat().st_mode) == 0o600
    lines = [line.split() for line in invites_file.read_text().splitlines()[1:]]
    assert {line[1] for line in lines} >= {"clinician", "supporter", "network_admin"}
    assert len({line[0] for line in lines}) == 3  # three institutions
    assert [line[1] for line in lines].count("moderator") == 2  # a primary and a backup

    again = peerhaven(env, "demo", "--if-empty")
    assert again.returncode == 0 and "already has data" in again.stdout
    assert [line.split() for line in invites_file.read_text().splitlines()[1:]] == lines

    assert (
        peerhaven(env, "admin", "network", "create", "--slug", "west", "--name", "West").returncode
        == 0
    )
    made = peerhaven(
        env,
        "admin",
        "institution",
        "create",
        "--network",
        "west",
        "--slug",
        "mercy",
        "--name",
        "Mercy",
    )
    assert made.returncode == 0, made.stderr
    code = peerhaven(
        env, "admin", "invite", "create", "--institution", "mercy", "--role", "institution_admin"
    )
    assert code.returncode == 0, code.stderr
    duplicate = peerhaven(env, "admin", "network", "create", "--slug", "west", "--name", "West")
    assert duplicate.returncode == 2 and "exists" in duplicate.stderr
    unknown = peerhaven(
        env, "admin", "invite", "create", "--institution", "nowhere", "--role", "clinician"
    )
    assert unknown.returncode == 2 and "no institution" in unknown.stderr

    # The demo and CLI codes work against the real server.
    with serve(make_settings(database_url, tmp_path / "var")) as server, server.client() as client:
        demo_code = next(line[2] for line in lines if line[1] == "clinician")
        me = Device().register(client, demo_code, server.settings.origin)
        assert me["network"]["slug"] == "demo"
        me = Device().register(client, code.stdout.strip(), server.settings.origin)
        assert me["role"] == "institution_admin" and me["institution"]["slug"] == "mercy"
