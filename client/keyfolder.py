"""Keys at rest: one `crypto.Keystore` for the device, one per room, each sealed.

    folder/device.phks         the device identity (the login credential)
    folder/rooms/<room>.phks   the room identity, its prekeys and the session(s)
    folder/report.phks         a moderator's X25519 report key (sealed reports are sealed to it)
    folder/relay.phrl          the relay ledger (cursor, outbox, received messages), sealed
    folder/moderators.phmp     the moderator device keys this device pinned (crypto.moderators)

The ledger is written after every relay step, so its `crypto.keystore.SealingKey` is derived
once per process (Argon2id on the passphrase and the file's salt) and re-used; each write draws
a fresh nonce inside `SealingKey.seal`. Its layout is the keystore's (docs/protocol.md §9) with
the magic "PHRL".

Keeping rooms apart means a room key can be deleted with its room, and nothing in one room's
store points to another.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from client.ledger import Ledger
from crypto import IdentityKeyPair, Keystore, KeystoreError
from crypto.keystore import (
    DEFAULT_MEMLIMIT,
    DEFAULT_OPSLIMIT,
    SealingKey,
    SealParameters,
    read_seal_header,
)
from crypto.moderators import ModeratorPins
from crypto.report import ReportKeyPair

_LEDGER_MAGIC = b"PHRL"
_PINS_MAGIC = b"PHMP"

__all__ = ["KeyFolder"]


@dataclass(repr=False)
class KeyFolder:
    """Sealed keystores under `path`. Lower `opslimit`/`memlimit` only for tests."""

    path: Path
    passphrase: str = field(repr=False)
    opslimit: int = DEFAULT_OPSLIMIT
    memlimit: int = DEFAULT_MEMLIMIT
    _ledger_key: SealingKey | None = field(
        default=None, init=False, repr=False, compare=False
    )  # Argon2id once per process

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

    def _key_for(self, parameters: SealParameters) -> SealingKey:
        cached = self._ledger_key
        if cached is None or cached.parameters != parameters:
            cached = self._ledger_key = SealingKey.derive(self.passphrase, parameters)
        return cached

    def ledger(self) -> Ledger:
        """The relay ledger (empty the first time). Raises `KeystoreError` like a keystore."""
        file = self.path / "relay.phrl"
        if not file.exists():
            return Ledger()
        blob = file.read_bytes()
        key = self._key_for(read_seal_header(blob, magic=_LEDGER_MAGIC, kind="ledger"))
        plaintext = key.open(blob, magic=_LEDGER_MAGIC, kind="ledger")
        try:
            return Ledger.from_json(json.loads(plaintext))
        except ValueError:
            raise KeystoreError("wrong passphrase or corrupted ledger") from None

    def _current_key(self) -> SealingKey:
        cached = self._ledger_key
        limits = (self.opslimit, self.memlimit)
        if cached is None or (cached.parameters.opslimit, cached.parameters.memlimit) != limits:
            cached = self._ledger_key = SealingKey.derive(
                self.passphrase, opslimit=self.opslimit, memlimit=self.memlimit
            )
        return cached

    def save_ledger(self, ledger: Ledger) -> None:
        body = json.dumps(ledger.to_json(), separators=(",", ":"), sort_keys=True).encode()
        self._write(self.path / "relay.phrl", self._current_key().seal(body, magic=_LEDGER_MAGIC))

    # -- pinned moderator keys ----------------------------------------------------------------

    def moderator_pins(self) -> ModeratorPins:
        """The moderator device keys pinned so far (none the first time). Raises
        `KeystoreError` like a keystore."""
        file = self.path / "moderators.phmp"
        if not file.exists():
            return ModeratorPins()
        blob = file.read_bytes()
        key = self._key_for(read_seal_header(blob, magic=_PINS_MAGIC, kind="moderator pins"))
        plaintext = key.open(blob, magic=_PINS_MAGIC, kind="moderator pins")
        try:
            return ModeratorPins.from_json(json.loads(plaintext))
        except ValueError:
            raise KeystoreError("wrong passphrase or corrupted moderator pins") from None

    def save_moderator_pins(self, pins: ModeratorPins) -> None:
        body = json.dumps(pins.to_json(), separators=(",", ":"), sort_keys=True).encode()
        sealed = self._current_key().seal(body, magic=_PINS_MAGIC)
        self._write(self.path / "moderators.phmp", sealed)
