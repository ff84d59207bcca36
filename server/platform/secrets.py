"""Server secrets: given in settings, or generated once and kept under the data directory.

Two files, each created once with `O_EXCL` (so two workers starting together agree on one value)
and mode 0600: `secrets.json` (the franking secret) and `vapid.json` (the Web Push signing key,
RFC 8292). A deployment that predates Web Push gets `vapid.json` on its next start.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from crypto.encoding import b64decode, b64encode
from server.config import Settings

__all__ = ["ServerKeys", "load_server_keys", "vapid_public_key"]

_SECRETS_FILE = "secrets.json"
_VAPID_FILE = "vapid.json"


@dataclass(frozen=True, repr=False)
class ServerKeys:
    """Secret key material of this deployment. `repr` never shows it.

    `vapid_private_key` is the raw 32-byte P-256 scalar that signs Web Push requests.
    """

    franking_secret: bytes
    vapid_private_key: bytes

    def __repr__(self) -> str:
        return "ServerKeys(<redacted>)"


def _load_or_create(path: Path, generate: Callable[[], dict[str, str]]) -> dict[str, str]:
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = generate()
    # O_EXCL: two workers starting together must not overwrite each other's secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _load_or_create(path, generate)
    with os.fdopen(fd, "w") as handle:
        json.dump(generated, handle)
    return generated


def _new_vapid_key() -> bytes:
    scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return scalar.to_bytes(32, "big")


def vapid_public_key(private_key: bytes) -> bytes:
    """The 65-byte uncompressed P-256 point browsers take as `applicationServerKey`."""
    key = ec.derive_private_key(int.from_bytes(private_key, "big"), ec.SECP256R1())
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def load_server_keys(settings: Settings) -> ServerKeys:
    """Secrets from settings when given, else from files under `data_dir` (created 0600)."""
    if settings.franking_secret is not None:
        franking = settings.franking_secret.get_secret_value().encode()
    else:
        stored = _load_or_create(
            settings.data_dir / _SECRETS_FILE,
            lambda: {"franking_secret": b64encode(secrets.token_bytes(32))},
        )
        franking = b64decode(stored["franking_secret"], field="franking_secret", max_length=64)
    if settings.vapid_private_key is not None:
        vapid_text = settings.vapid_private_key.get_secret_value()
    else:
        vapid_text = _load_or_create(
            settings.data_dir / _VAPID_FILE,
            lambda: {"vapid_private_key": b64encode(_new_vapid_key())},
        )["vapid_private_key"]
    vapid = b64decode(vapid_text, field="vapid_private_key", length=32, max_length=32)
    return ServerKeys(franking_secret=franking, vapid_private_key=vapid)
