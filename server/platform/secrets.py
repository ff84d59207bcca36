"""Server secrets: given in settings, or generated once and kept under the data directory.

`data_dir/secrets.json` (mode 0600) holds what was generated: the franking secret, the node's
Ed25519 signing key seed (the federation identity, `server.federation.node`) and the root of the
check-in link keys (`server.checkins.keys`); `data_dir/vapid.json` (0600) the Web Push signing
key (RFC 8292). A file written by an older version gains what it lacks on first start; an
exclusive lock on a sibling lock file makes concurrent workers agree on one value.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from crypto.encoding import b64decode, b64encode
from crypto.errors import DecodeError
from server.config import Settings

__all__ = ["ServerKeys", "load_server_keys", "vapid_public_key"]

_SECRETS_FILE = "secrets.json"
_VAPID_FILE = "vapid.json"


def _new_vapid_key() -> bytes:
    scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return scalar.to_bytes(32, "big")


_GENERATORS: dict[str, Callable[[], bytes]] = {
    "franking_secret": lambda: secrets.token_bytes(32),
    "node_key": lambda: secrets.token_bytes(32),
    "checkins_secret": lambda: secrets.token_bytes(32),
}
_VAPID_GENERATORS: dict[str, Callable[[], bytes]] = {"vapid_private_key": _new_vapid_key}


@dataclass(frozen=True, repr=False)
class ServerKeys:
    """Secret key material of this deployment. `repr` never shows it.

    `node_key` is the 32-byte Ed25519 seed of the node's federation key; `checkins_secret` the
    root of the per-institution staff-identifier link keys; `vapid_private_key` the raw 32-byte
    P-256 scalar that signs Web Push requests.
    """

    franking_secret: bytes
    node_key: bytes
    checkins_secret: bytes
    vapid_private_key: bytes

    def __repr__(self) -> str:
        return "ServerKeys(<redacted>)"


def vapid_public_key(private_key: bytes) -> bytes:
    """The 65-byte uncompressed P-256 point browsers take as `applicationServerKey`."""
    key = ec.derive_private_key(int.from_bytes(private_key, "big"), ec.SECP256R1())
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def _write_private(path: Path, stored: dict[str, str]) -> None:
    """Replace `path` atomically with a 0600 file holding `stored`."""
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(stored, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _load_or_create(
    path: Path, names: frozenset[str], generators: Mapping[str, Callable[[], bytes]]
) -> dict[str, str]:
    """The secrets stored in `path`, generating (and keeping) any of `names` that is missing."""
    if not names:
        return {}
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        # Two workers starting together must not generate two different secrets.
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        missing = [name for name in generators if name in names and name not in stored]
        if missing:
            for name in missing:
                stored[name] = b64encode(generators[name]())
            _write_private(path, stored)
        return stored
    finally:
        os.close(lock_fd)  # releases the lock


def load_server_keys(settings: Settings) -> ServerKeys:
    """Secrets from settings when given, else from files under `data_dir` (created 0600)."""
    given = {
        "franking_secret": settings.franking_secret,
        "node_key": settings.node_key,
        "checkins_secret": settings.checkins_secret,
    }
    wanted = frozenset(name for name, value in given.items() if value is None)
    stored = _load_or_create(settings.data_dir / _SECRETS_FILE, wanted, _GENERATORS)
    franking = (
        settings.franking_secret.get_secret_value().encode()
        if settings.franking_secret is not None
        else b64decode(stored["franking_secret"], field="franking_secret", max_length=64)
    )
    raw = settings.node_key.get_secret_value() if settings.node_key else stored["node_key"]
    try:
        node_key = b64decode(raw, field="node_key", length=32, max_length=32)
    except DecodeError:
        raise ValueError("the node key must be a 32-byte Ed25519 seed (base64url)") from None
    checkins = (
        settings.checkins_secret.get_secret_value().encode()
        if settings.checkins_secret is not None
        else b64decode(stored["checkins_secret"], field="checkins_secret", max_length=64)
    )
    if settings.vapid_private_key is not None:
        vapid_text = settings.vapid_private_key.get_secret_value()
    else:
        vapid_file = settings.data_dir / _VAPID_FILE
        vapid_text = _load_or_create(
            vapid_file, frozenset({"vapid_private_key"}), _VAPID_GENERATORS
        )["vapid_private_key"]
    vapid = b64decode(vapid_text, field="vapid_private_key", length=32, max_length=32)
    return ServerKeys(
        franking_secret=franking, node_key=node_key, checkins_secret=checkins,
        vapid_private_key=vapid,
    )  # fmt: skip
