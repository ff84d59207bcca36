"""This node's federation identity: its name (the public origin) and its Ed25519 node key.

The key's fingerprint (lowercase hex SHA-256 of the raw 32-byte public key) is what network
admins compare out of band and pin when they peer; it is also the `keyid` of every signature
this node makes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.encoding import b64encode
from server.errors import InvalidInput

__all__ = [
    "PROTOCOL_VERSIONS",
    "NodeIdentity",
    "fingerprint",
    "node_document",
    "normalise_fingerprint",
    "normalise_url",
]

PROTOCOL_VERSIONS = ("peerhaven-federation/1",)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_URL = re.compile(r"https?://[a-z0-9.\-\[\]:]+(?::\d{1,5})?", re.IGNORECASE)


def fingerprint(public_key: bytes) -> str:
    """The fingerprint of a raw Ed25519 public key."""
    return hashlib.sha256(public_key).hexdigest()


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as typed (any case, with colons or spaces) in canonical form; InvalidInput
    for anything that is not 32 bytes of hex."""
    canonical = re.sub(r"[\s:]", "", text).lower()
    if not _HEX64.fullmatch(canonical):
        raise InvalidInput("a fingerprint is 64 hexadecimal digits (SHA-256 of the node key)")
    return canonical


def normalise_url(text: str) -> str:
    """A node's name: its origin, `scheme://host[:port]`, lowercase, no path or trailing slash."""
    candidate = text.strip().rstrip("/")
    if not _URL.fullmatch(candidate):
        raise InvalidInput("a node URL is an http(s) origin: scheme://host[:port], no path")
    return candidate.lower()


@dataclass(frozen=True, repr=False)
class NodeIdentity:
    """This node's name and signing key. `repr` never shows the key."""

    name: str
    seed: bytes
    _private: Ed25519PrivateKey = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_private", Ed25519PrivateKey.from_private_bytes(self.seed))

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return self._private

    @property
    def public_key(self) -> bytes:
        return self._private.public_key().public_bytes_raw()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def __repr__(self) -> str:
        return f"NodeIdentity({self.name!r}, {self.fingerprint[:16]}…)"


def node_document(identity: NodeIdentity) -> dict[str, Any]:
    """`GET /.well-known/peerhaven/node`: what a peer needs to check the pinned fingerprint."""
    key = b64encode(identity.public_key)
    return {
        "name": identity.name,
        "key": {"alg": "ed25519", "public_key": key, "fingerprint": identity.fingerprint},
        "protocol_versions": list(PROTOCOL_VERSIONS),
    }
