"""`peerhaven federation …` as an operator runs it against a node's database and key."""

from __future__ import annotations

from pathlib import Path

from tests.integration.accounts.test_cli import peerhaven
from tests.integration.federation.nodes import node


def test_the_cli_shows_the_node_peers_lists_and_revokes(tmp_path: Path) -> None:
    with (
        node(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path / "a", "alpha") as a,
        node(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", tmp_path / "b", "beta") as b,
    ):
        settings = a.world.server.settings
        env = {
            "PEERHAVEN_DATABASE_URL": settings.database_url,
            "PEERHAVEN_DATA_DIR": str(settings.data_dir),
            "PEERHAVEN_PUBLIC_ORIGIN": a.url,
        }
        shown = peerhaven(env, "federation", "node")
        assert shown.returncode == 0, shown.stderr
        assert a.identity.fingerprint in shown.stdout and a.url in shown.stdout

        pin = b.identity.fingerprint.upper()
        added = peerhaven(env, "federation", "peer", "add", "--network", "alpha-north",
                          "--url", b.url, "--fingerprint", pin)  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert "pending" in added.stdout
        assert b.allow(a).json()["status"] == "active"
        listed = peerhaven(env, "federation", "peer", "list", "--network", "alpha-north")
        assert "active" in listed.stdout and b.url in listed.stdout

        wrong = peerhaven(env, "federation", "peer", "revoke", "--network", "alpha-north",
                          "--url", "http://127.0.0.1:9")  # fmt: skip
        assert wrong.returncode == 2 and "no such peer" in wrong.stderr
        revoked = peerhaven(env, "federation", "peer", "revoke", "--network", "alpha-north",
                            "--url", b.url)  # fmt: skip
        assert revoked.returncode == 0, revoked.stderr
        assert "revoked" in revoked.stdout
        assert [p["status"] for p in b.peers()] == ["revoked"]
