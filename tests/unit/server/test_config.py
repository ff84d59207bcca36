from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from server.config import Settings
from server.platform.secrets import load_server_keys


def test_production_refuses_missing_or_placeholder_secrets() -> None:
    with pytest.raises(ValidationError, match="FRANKING_SECRET"):
        Settings(env="production")
    for placeholder in ("changeme", "secret", "x" * 10):
        with pytest.raises(ValidationError, match="placeholder"):
            Settings(env="production", franking_secret=placeholder)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="CHECKINS_SECRET"):
        Settings(env="production", franking_secret="k" * 43)  # type: ignore[arg-type]
    ok = Settings(env="production", franking_secret="k" * 43, checkins_secret="c" * 43)  # type: ignore[arg-type]
    assert ok.franking_secret is not None


def test_secrets_are_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    first = load_server_keys(settings)
    path = tmp_path / "var" / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.franking_secret) == 32
    assert len(first.checkins_secret) == 32
    checkins = tmp_path / "var" / "checkins-secret.json"
    assert stat.S_IMODE(checkins.stat().st_mode) == 0o600
    assert load_server_keys(settings) == first
    assert first.franking_secret.hex() not in repr(first)
    assert first.checkins_secret.hex() not in repr(first)
    assert "redacted" in repr(first)


def test_given_secret_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, franking_secret="s" * 43)  # type: ignore[arg-type]
    assert load_server_keys(settings).franking_secret == b"s" * 43
    assert not (tmp_path / "secrets.json").exists()
    assert "s" * 43 not in repr(settings)


def test_origin_defaults_to_host_and_port() -> None:
    assert Settings(host="0.0.0.0", port=9000).origin == "http://0.0.0.0:9000"
    assert Settings(public_origin="https://peer.example").origin == "https://peer.example"
