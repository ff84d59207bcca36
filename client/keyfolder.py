"""Keys at rest: one `crypto.Keystore` for the device, one per room, each sealed.

    folder/device.phks         the device identity (the login credential)
    folder/rooms/<room>.phks   the room identity, its prekeys and the session(s)
    folder/report.phks         a moderator's X25519 report key (sealed reports are sealed to it)
    folder/relay.phrl          the relay ledger (cursor, outbox, received messages), sealed

The ledger is written after every relay step, so its key is derived once per process (Argon2id
on the passphrase and the file's salt) and each write only draws a fresh nonce. Its layout
mirrors the keystore's (docs/protocol.md §9) with the magic "PHRL".

Keeping rooms apart means a room key can be deleted with its room, and nothing in one room's
store points to another.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from client.ledger import Ledger
from crypto import DecryptionError, IdentityKeyPair, Keystore, KeystoreError
from crypto import primitives as p
from crypto.keystore import DEFAULT_MEMLIMIT, DEFAULT_OPSLIMIT
from crypto.report import ReportKeyPair

_LEDGER_MAGIC = b"PHRL"
_LEDGER_HEADER = struct.Struct(">4sBII16s24s")

__all__ = ["KeyFolder"]


@dataclass(repr=False)
class KeyFolder:
    """Sealed keystores under `path`. Lower `opslimit`/`memlimit` only for tests."""

    path: Path
    passphrase: str = field(repr=False)
    opslimit: int = DEFAULT_OPSLIMIT
    memlimit: int = DEFAULT_MEMLIMIT
    _ledger_key: tuple[bytes, int, int, bytes] | None = field(
        default=None, init=False, repr=False, compare=False
    )  # (salt, opslimit, memlimit, key): Argon2id once per process

    def __repr__(self) -> str:
        return f"KeyFolder({str(self.path)!r})"

    def _file(self, name: str) -> Path:
        return self.path / f"{name}.phks"

    def _load(self, name: str) -> Keystore | None:
        file = self._file(name)
        if not file.exists():
            return None
        return Keystore.open(file.read_bytes(), self.passphrase)

    def _save(self, name: str, store: Keystore) -> None:
        sealed = store.seal(self.passphrase, opslimit=self.opslimit, memlimit=self.memlimit)
        self._write(self._file(name), sealed)

    @staticmethod
    def _write(file: Path, sealed: bytes) -> None:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = file.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(sealed)
        os.replace(temporary, file)  # never a half-written store

    def device(self) -> Keystore:
        """The device keystore, created with a fresh identity on first use."""
        store = self._load("device")
        if store is None:
            store = Keystore(identity=IdentityKeyPair.generate())
            self._save("device", store)
        return store

    def report_key(self) -> ReportKeyPair:
        """A moderator device's report key, made on first use.

        Kept as a keystore whose identity slot holds the 32 private bytes (the keystore seals
        any 32-byte secret; the Ed25519 side of that slot is never used).
        """
        store = self._load("report")
        if store is None:
            store = Keystore(identity=IdentityKeyPair(ReportKeyPair.generate().private_key))
            self._save("report", store)
        return ReportKeyPair.from_private(store.identity.seed)

    def room(self, room_id: str) -> Keystore | None:
        return self._load(f"rooms/{room_id}")

    def save_room(self, room_id: str, store: Keystore) -> None:
        self._save(f"rooms/{room_id}", store)

    # -- the relay ledger --------------------------------------------------------------------

    def _key_for(self, salt: bytes, opslimit: int, memlimit: int) -> bytes:
        cached = self._ledger_key
        if cached is not None and cached[:3] == (salt, opslimit, memlimit):
            return cached[3]
        if not (
            p.ARGON2ID_OPSLIMIT_MIN <= opslimit <= 16
            and p.ARGON2ID_MEMLIMIT_MIN <= memlimit <= 1 << 30
        ):  # the keystore's bounds (docs/protocol.md §9): a hostile file must not exhaust us
            raise KeystoreError("unsupported key-derivation parameters")
        key = p.argon2id(self.passphrase.encode(), salt, opslimit=opslimit, memlimit=memlimit)
        self._ledger_key = (salt, opslimit, memlimit, key)
        return key

    def ledger(self) -> Ledger:
        """The relay ledger (empty the first time). Raises `KeystoreError` like a keystore."""
        file = self.path / "relay.phrl"
        if not file.exists():
            return Ledger()
        blob = file.read_bytes()
        if len(blob) < _LEDGER_HEADER.size + p.AEAD_TAG_BYTES:
            raise KeystoreError("not a Peerhaven ledger (too short)")
        header = blob[: _LEDGER_HEADER.size]
        magic, version, opslimit, memlimit, salt, nonce = _LEDGER_HEADER.unpack(header)
        if magic != _LEDGER_MAGIC or version != 1:
            raise KeystoreError("not a Peerhaven ledger")
        key = self._key_for(salt, opslimit, memlimit)
        try:
            plaintext = p.aead_decrypt(key, nonce, blob[_LEDGER_HEADER.size :], header)
            return Ledger.from_json(json.loads(plaintext))
        except (DecryptionError, ValueError):
            raise KeystoreError("wrong passphrase or corrupted ledger") from None

    def save_ledger(self, ledger: Ledger) -> None:
        cached = self._ledger_key
        if cached is None or cached[1:3] != (self.opslimit, self.memlimit):
            salt = p.random_bytes(16)
        else:
            salt = cached[0]
        key = self._key_for(salt, self.opslimit, self.memlimit)
        header = _LEDGER_HEADER.pack(
            _LEDGER_MAGIC, 1, self.opslimit, self.memlimit, salt, p.random_bytes(24)
        )
        body = json.dumps(ledger.to_json(), separators=(",", ":"), sort_keys=True).encode()
        nonce = header[-24:]
        self._write(self.path / "relay.phrl", header + p.aead_encrypt(key, nonce, body, header))
