"""The Python client's secrets at rest: identity, prekeys and sessions under a passphrase.

File layout (all integers big-endian)::

    "PHKS" (4) || version = 1 (1) || opslimit u32 || memlimit u32 || salt (16) || nonce (24)
    || XChaCha20-Poly1305(key, nonce, canonical JSON, AD = all preceding bytes)
    key = Argon2id v1.3 (libsodium crypto_pwhash)(passphrase, salt, opslimit, memlimit), 32 bytes

A wrong passphrase and a corrupted file are indistinguishable: both raise
:class:`KeystoreError`.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any

from . import primitives as p
from .encoding import b64decode, b64encode, canonical_json
from .errors import DecodeError, DecryptionError, KeystoreError
from .keys import IdentityKeyPair, OneTimePreKey, SignedPreKey, X25519KeyPair
from .session import Session

__all__ = ["DEFAULT_MEMLIMIT", "DEFAULT_OPSLIMIT", "Keystore"]

_MAGIC = b"PHKS"
_VERSION = 1
_HEADER = struct.Struct(">4sBII16s24s")
DEFAULT_OPSLIMIT = p.ARGON2ID_OPSLIMIT_MODERATE
DEFAULT_MEMLIMIT = p.ARGON2ID_MEMLIMIT_MODERATE
_MAX_OPSLIMIT = 16
_MAX_MEMLIMIT = 1 << 30


def _passphrase(value: str | bytes) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else value
    if not data:
        raise ValueError("passphrase must not be empty")
    return data


@dataclass(repr=False)
class Keystore:
    identity: IdentityKeyPair
    signed_prekeys: dict[int, SignedPreKey] = field(default_factory=dict)
    one_time_prekeys: dict[int, OneTimePreKey] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"Keystore({self.identity!r}, signed_prekeys={len(self.signed_prekeys)}, "
            f"one_time_prekeys={len(self.one_time_prekeys)}, sessions={len(self.sessions)})"
        )

    def seal(
        self,
        passphrase: str | bytes,
        *,
        rng: p.Random = p.random_bytes,
        opslimit: int = DEFAULT_OPSLIMIT,
        memlimit: int = DEFAULT_MEMLIMIT,
    ) -> bytes:
        """Encrypt everything under ``passphrase``; returns the file contents."""
        header = _HEADER.pack(
            _MAGIC, _VERSION, opslimit, memlimit, rng(16), rng(p.AEAD_NONCE_BYTES)
        )
        _magic, _v, _ops, _mem, salt, nonce = _HEADER.unpack(header)
        key = p.argon2id(_passphrase(passphrase), salt, opslimit=opslimit, memlimit=memlimit)
        return header + p.aead_encrypt(key, nonce, canonical_json(self._to_json()), header)

    @classmethod
    def open(
        cls, blob: bytes, passphrase: str | bytes, *, rng: p.Random = p.random_bytes
    ) -> Keystore:
        """Decrypt a sealed keystore. Raises :class:`KeystoreError`."""
        if len(blob) < _HEADER.size + p.AEAD_TAG_BYTES:
            raise KeystoreError("not a Peerhaven keystore (too short)")
        header = blob[: _HEADER.size]
        magic, version, opslimit, memlimit, salt, nonce = _HEADER.unpack(header)
        if magic != _MAGIC:
            raise KeystoreError("not a Peerhaven keystore")
        if version != _VERSION:
            raise KeystoreError(f"unsupported keystore version {version}")
        if not (
            p.ARGON2ID_OPSLIMIT_MIN <= opslimit <= _MAX_OPSLIMIT
            and p.ARGON2ID_MEMLIMIT_MIN <= memlimit <= _MAX_MEMLIMIT
        ):
            raise KeystoreError("unsupported key-derivation parameters")
        key = p.argon2id(_passphrase(passphrase), salt, opslimit=opslimit, memlimit=memlimit)
        try:
            plaintext = p.aead_decrypt(key, nonce, blob[_HEADER.size :], header)
        except DecryptionError:
            raise KeystoreError("wrong passphrase or corrupted keystore") from None
        try:
            return cls._from_json(json.loads(plaintext), rng)
        except (DecodeError, ValueError, KeyError, TypeError) as exc:
            raise KeystoreError(f"keystore contents are malformed: {exc}") from None

    def _to_json(self) -> dict[str, Any]:
        return {
            "v": _VERSION,
            "identity": b64encode(self.identity.seed),
            "signed_prekeys": [
                {
                    "id": k.key_id,
                    "sk": b64encode(k.key_pair.private_key),
                    "sig": b64encode(k.signature),
                }
                for k in self.signed_prekeys.values()
            ],
            "one_time_prekeys": [
                {"id": k.key_id, "sk": b64encode(k.key_pair.private_key)}
                for k in self.one_time_prekeys.values()
            ],
            "sessions": {name: s.to_bytes().decode("ascii") for name, s in self.sessions.items()},
        }

    @classmethod
    def _from_json(cls, obj: Any, rng: p.Random) -> Keystore:
        def key(value: object, size: int = 32) -> bytes:
            return b64decode(value, field="keystore key", length=size, max_length=size)

        spks = [
            SignedPreKey(int(k["id"]), X25519KeyPair(key(k["sk"])), key(k["sig"], 64))
            for k in obj["signed_prekeys"]
        ]
        opks = [
            OneTimePreKey(int(k["id"]), X25519KeyPair(key(k["sk"])))
            for k in obj["one_time_prekeys"]
        ]
        return cls(
            identity=IdentityKeyPair(key(obj["identity"])),
            signed_prekeys={k.key_id: k for k in spks},
            one_time_prekeys={k.key_id: k for k in opks},
            sessions={
                str(name): Session.from_bytes(state.encode("ascii"), rng)
                for name, state in obj["sessions"].items()
            },
        )
