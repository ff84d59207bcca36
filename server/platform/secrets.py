"""Server secrets: given in settings, or generated once and kept under the data directory."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from crypto.encoding import b64decode, b64encode
from server.config import Settings

__all__ = ["ServerKeys", "load_server_keys"]

_SECRETS_FILE = "secrets.json"


@dataclass(frozen=True, repr=False)
class ServerKeys:
    """Secret key material of this deployment. `repr` never shows it."""

    franking_secret: bytes

    def __repr__(self) -> str:
        return "ServerKeys(<redacted>)"


def _load_or_create(path: Path) -> dict[str, str]:
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = {"franking_secret": b64encode(secrets.token_bytes(32))}
    # O_EXCL: two workers starting together must not overwrite each other's secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _load_or_create(path)
    with os.fdopen(fd, "w") as handle:
        json.dump(generated, handle)
    return generated


def load_server_keys(settings: Settings) -> ServerKeys:
    """Secrets from settings when given, else from `data_dir/secrets.json` (created 0600)."""
    if settings.franking_secret is not None:
        return ServerKeys(franking_secret=settings.franking_secret.get_secret_value().encode())
    stored = _load_or_create(settings.data_dir / _SECRETS_FILE)
    secret = b64decode(stored["franking_secret"], field="franking_secret", max_length=64)
    return ServerKeys(franking_secret=secret)
