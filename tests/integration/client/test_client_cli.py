"""The terminal client drives the whole path by hand: request, offer, room, X3DH."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from client.cli import main
from server.accounts.roles import Role
from tests.world import World


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_people_reach_a_session_with_the_terminal_client(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PEERHAVEN_PASSPHRASE", "a long enough passphrase")

    def run(who: str, *argv: str, status: int = 0) -> Any:
        base = ["--server", world.server.base_url, "--keys", str(tmp_path / who),
                "--kdf", "insecure-minimum"]  # fmt: skip
        assert main([*base, *argv]) == status, capsys.readouterr().err
        out = capsys.readouterr()
        return json.loads(out.out) if status == 0 else out.err

    run("ann", "register", world.invite(Role.CLINICIAN, "a"))
    run("sam", "register", world.invite(Role.SUPPORTER, "b"))
    run("ann", "profile", "--specialty", "207P00000X", "--years", "3", "--stage", "resident")
    run("sam", "profile", "--specialty", "207P00000X", "--years", "20", "--stage", "senior")
    run("sam", "supporter-profile", "--topics", "burnout")
    assert "unknown specialty" in run("ann", "profile", "--specialty", "nope", "--years", "3",
                                      "--stage", "resident", status=1)  # fmt: skip
    request = run("ann", "ask", "burnout")
    assert request["status"] == "offered"
    (offer,) = run("sam", "offers")
    room = run("sam", "accept", offer["id"])
    run("sam", "join", room["id"])
    run("ann", "join", room["id"])
    envelope = run("ann", "start", room["id"])
    answered = run("sam", "answer", room["id"], envelope["envelope"])
    assert answered == {"established": True, "first_message": "hello"}
    numbers = {run(who, "safety-number", room["id"])["safety_number"] for who in ("ann", "sam")}
    assert len(numbers) == 1
