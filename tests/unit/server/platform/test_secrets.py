"""The Web Push (VAPID) key: generated once on first start, 0600, kept across restarts, added to
a deployment whose secrets.json predates it; given in settings it wins; a bad one is refused."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from crypto.encoding import DecodeError, b64encode
from server.config import Settings
from server.platform.secrets import load_server_keys, vapid_public_key


def test_vapid_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = load_server_keys(settings)
    path = tmp_path / "vapid.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.vapid_private_key) == 32
    assert load_server_keys(settings).vapid_private_key == first.vapid_private_key
    assert first.vapid_private_key.hex() not in repr(first)
    public = vapid_public_key(first.vapid_private_key)
    assert len(public) == 65 and public[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)  # on the curve


def test_an_older_deployment_gets_a_vapid_key_and_keeps_its_franking_secret(
    tmp_path: Path,
) -> None:
    (tmp_path / "secrets.json").write_text(json.dumps({"franking_secret": b64encode(b"f" * 32)}))
    keys = load_server_keys(Settings(data_dir=tmp_path))
    assert keys.franking_secret == b"f" * 32
    assert (tmp_path / "vapid.json").exists()


def test_given_vapid_key_wins_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    given = b64encode(bytes(range(1, 33)))
    keys = load_server_keys(Settings(data_dir=tmp_path, vapid_private_key=given))  # type: ignore[arg-type]
    assert keys.vapid_private_key == bytes(range(1, 33))
    assert not (tmp_path / "vapid.json").exists()
    with pytest.raises(DecodeError, match="vapid_private_key"):
        load_server_keys(Settings(data_dir=tmp_path, vapid_private_key="c2hvcnQ"))  # type: ignore[arg-type]
