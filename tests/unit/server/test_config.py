from __future__ import annotations

import base64
import json
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
    assert set(json.loads(path.read_text())) == {"franking_secret", "node_key", "checkins_secret"}
    assert load_server_keys(settings) == first
    assert first.franking_secret.hex() not in repr(first)
    assert first.checkins_secret.hex() not in repr(first)
    assert "redacted" in repr(first)


def test_given_secret_wins(tmp_path: Path) -> None:
    seed = base64.urlsafe_b64encode(b"n" * 32).rstrip(b"=").decode()
    settings = Settings(
        data_dir=tmp_path, franking_secret="s" * 43, node_key=seed, checkins_secret="c" * 43
    )  # type: ignore[arg-type]
    keys = load_server_keys(settings)
    assert keys.franking_secret == b"s" * 43 and keys.checkins_secret == b"c" * 43
    assert keys.node_key == b"n" * 32
    assert not (tmp_path / "secrets.json").exists()
    assert "s" * 43 not in repr(settings)


def test_origin_defaults_to_host_and_port() -> None:
    assert Settings(host="0.0.0.0", port=9000).origin == "http://0.0.0.0:9000"
    assert Settings(public_origin="https://peer.example").origin == "https://peer.example"


def test_a_node_key_is_generated_once_and_kept_with_the_secrets(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    first = load_server_keys(settings)
    assert len(first.node_key) == 32 and first.node_key != first.franking_secret
    assert load_server_keys(settings).node_key == first.node_key
    assert first.node_key.hex() not in repr(first)


def test_an_older_secrets_file_gains_a_node_key_and_keeps_its_franking_secret(
    tmp_path: Path,
) -> None:
    path = tmp_path / "secrets.json"
    old = base64.urlsafe_b64encode(b"f" * 32).rstrip(b"=").decode()
    path.write_text(json.dumps({"franking_secret": old}))
    keys = load_server_keys(Settings(data_dir=tmp_path))
    assert keys.franking_secret == b"f" * 32
    assert len(keys.node_key) == 32
    assert set(json.loads(path.read_text())) == {"franking_secret", "node_key", "checkins_secret"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
