"""The Python client's secrets at rest: identity, prekeys and sessions under a passphrase.

File layout (all integers big-endian)::

    "PHKS" (4) || version = 1 (1) || opslimit u32 || memlimit u32 || salt (16) || nonce (24)
    || XChaCha20-Poly1305(key, nonce, canonical JSON, AD = all preceding bytes)
    key = Argon2id v1.3 (libsodium crypto_pwhash)(passphrase, salt, opslimit, memlimit), 32 bytes

A wrong passphrase and a corrupted file are indistinguishable: both raise
:class:`KeystoreError`.

The same sealed-file layout, under another 4-byte magic, holds any other client secret at rest
(the Python client's relay ledger, magic ``"PHRL"``): :class:`SealingKey` derives the key once
(Argon2id is slow on purpose, and a file written after every relay step must not pay for it each
time) and draws a fresh nonce for every :meth:`SealingKey.seal`; :func:`read_seal_header` reads
the salt and limits from a file so its key can be derived (or a cached one re-used).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any

from . import primitives as p
from .encoding import b64decode, b64encode, canonical_json
from .errors import CryptoError, DecodeError, DecryptionError, KeystoreError
from .keys import IdentityKeyPair, OneTimePreKey, SignedPreKey, X25519KeyPair
from .pinning import PeerPin
from .session import Session

__all__ = [
    "DEFAULT_MEMLIMIT",
    "DEFAULT_OPSLIMIT",
    "KEYSTORE_MAGIC",
    "Keystore",
    "SealParameters",
    "SealingKey",
    "read_seal_header",
]

KEYSTORE_MAGIC = b"PHKS"
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


@dataclass(frozen=True)
class SealParameters:
    """What a sealed file's header says about its key: the Argon2id salt and limits."""

    salt: bytes
    opslimit: int
    memlimit: int


def read_seal_header(blob: bytes, *, magic: bytes, kind: str = "keystore") -> SealParameters:
    """The key parameters of a sealed file, checked before any expensive work.

    Raises :class:`KeystoreError` for a file too short, with another magic, another version, or
    limits above 16 passes / 1 GiB (a hostile file must not exhaust the machine). ``kind`` names
    the file in those messages.
    """
    if len(blob) < _HEADER.size + p.AEAD_TAG_BYTES:
        raise KeystoreError(f"not a Peerhaven {kind} (too short)")
    found, version, opslimit, memlimit, salt, _nonce = _HEADER.unpack(blob[: _HEADER.size])
    if found != magic:
        raise KeystoreError(f"not a Peerhaven {kind}")
    if version != _VERSION:
        raise KeystoreError(f"unsupported {kind} version {version}")
    if not (
        p.ARGON2ID_OPSLIMIT_MIN <= opslimit <= _MAX_OPSLIMIT
        and p.ARGON2ID_MEMLIMIT_MIN <= memlimit <= _MAX_MEMLIMIT
    ):
        raise KeystoreError("unsupported key-derivation parameters")
    return SealParameters(salt, opslimit, memlimit)


@dataclass(frozen=True, repr=False)
class SealingKey:
    """A key derived from a passphrase for one salt and one pair of limits; seals and opens
    files in the keystore layout. Its ``repr`` never shows the key."""

    parameters: SealParameters
    _key: bytes = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"SealingKey(opslimit={self.parameters.opslimit}, memlimit={self.parameters.memlimit})"
        )

    @classmethod
    def derive(
        cls,
        passphrase: str | bytes,
        parameters: SealParameters | None = None,
        *,
        rng: p.Random = p.random_bytes,
        opslimit: int = DEFAULT_OPSLIMIT,
        memlimit: int = DEFAULT_MEMLIMIT,
    ) -> SealingKey:
        """Argon2id over ``passphrase``: with a file's ``parameters`` (to open it), or with a
        fresh salt and the given limits (to seal a new one). Raises ``ValueError`` for an empty
        passphrase."""
        if parameters is None:
            parameters = SealParameters(rng(16), opslimit, memlimit)
        key = p.argon2id(
            _passphrase(passphrase),
            parameters.salt,
            opslimit=parameters.opslimit,
            memlimit=parameters.memlimit,
        )
        return cls(parameters, key)

    def seal(self, plaintext: bytes, *, magic: bytes, rng: p.Random = p.random_bytes) -> bytes:
        """The file contents: header (with a fresh nonce) and the AEAD of ``plaintext``."""
        params = self.parameters
        header = _HEADER.pack(
            magic, _VERSION, params.opslimit, params.memlimit, params.salt,
            rng(p.AEAD_NONCE_BYTES),
        )  # fmt: skip
        nonce = header[-p.AEAD_NONCE_BYTES :]
        return header + p.aead_encrypt(self._key, nonce, plaintext, header)

    def open(self, blob: bytes, *, magic: bytes, kind: str = "keystore") -> bytes:
        """The plaintext of a file sealed under this key. Raises :class:`KeystoreError`, the
        same one for a wrong passphrase and for a corrupted file."""
        if read_seal_header(blob, magic=magic, kind=kind) != self.parameters:
            raise KeystoreError(f"wrong passphrase or corrupted {kind}")
        header = blob[: _HEADER.size]
        nonce = header[-p.AEAD_NONCE_BYTES :]
        try:
            return p.aead_decrypt(self._key, nonce, blob[_HEADER.size :], header)
        except DecryptionError:
            raise KeystoreError(f"wrong passphrase or corrupted {kind}") from None


@dataclass(repr=False)
class Keystore:
    """One identity's secrets. A room's keystore also holds the pin of the peer's key
    (:class:`PeerPin`); a file written before pins existed is pinned to its sessions' key."""

    identity: IdentityKeyPair
    signed_prekeys: dict[int, SignedPreKey] = field(default_factory=dict)
    one_time_prekeys: dict[int, OneTimePreKey] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    peer: PeerPin = field(default_factory=PeerPin)

    def __repr__(self) -> str:
        return (
            f"Keystore({self.identity!r}, signed_prekeys={len(self.signed_prekeys)}, "
            f"one_time_prekeys={len(self.one_time_prekeys)}, sessions={len(self.sessions)}, "
            f"{self.peer!r})"
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
        key = SealingKey.derive(passphrase, rng=rng, opslimit=opslimit, memlimit=memlimit)
        return key.seal(canonical_json(self._to_json()), magic=KEYSTORE_MAGIC, rng=rng)

    @classmethod
    def open(
        cls, blob: bytes, passphrase: str | bytes, *, rng: p.Random = p.random_bytes
    ) -> Keystore:
        """Decrypt a sealed keystore. Raises :class:`KeystoreError`."""
        parameters = read_seal_header(blob, magic=KEYSTORE_MAGIC)
        plaintext = SealingKey.derive(passphrase, parameters).open(blob, magic=KEYSTORE_MAGIC)
        try:
            return cls._from_json(json.loads(plaintext), rng)
        except DecodeError as exc:  # says which field, never a value
            raise KeystoreError(f"keystore contents are malformed: {exc}") from None
        except (
            ValueError, KeyError, TypeError, AttributeError, ArithmeticError, RecursionError,
            CryptoError,
        ):  # fmt: skip
            # Authentic but not in this layout (a bug, or a newer file): only KeystoreError
            # leaves here; the exception's text could quote contents, so it is not kept.
            raise KeystoreError("keystore contents are malformed") from None

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
            "peer": self.peer.to_json(),
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
        sessions = {
            str(name): Session.from_bytes(state.encode("ascii"), rng)
            for name, state in obj["sessions"].items()
        }
        if "peer" in obj:
            peer = PeerPin.from_json(obj["peer"])
        else:  # written before pins: trust what the sessions already use (current ones first)
            peer = PeerPin()
            for name in sorted(sessions, key=lambda n: "#" in n):
                peer.trust(sessions[name].peer_identity_key)
        return cls(
            identity=IdentityKeyPair(key(obj["identity"])),
            signed_prekeys={k.key_id: k for k in spks},
            one_time_prekeys={k.key_id: k for k in opks},
            sessions=sessions,
            peer=peer,
        )
