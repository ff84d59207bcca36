"""Keys at rest: one `crypto.Keystore` for the device, one per room, each sealed.

    folder/device.phks         the device identity (the login credential)
    folder/rooms/<room>.phks   the room identity, its prekeys and the session

Keeping rooms apart means a room key can be deleted with its room, and nothing in one room's
store points to another.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from crypto import IdentityKeyPair, Keystore
from crypto.keystore import DEFAULT_MEMLIMIT, DEFAULT_OPSLIMIT

__all__ = ["KeyFolder"]


@dataclass(repr=False)
class KeyFolder:
    """Sealed keystores under `path`. Lower `opslimit`/`memlimit` only for tests."""

    path: Path
    passphrase: str = field(repr=False)
    opslimit: int = DEFAULT_OPSLIMIT
    memlimit: int = DEFAULT_MEMLIMIT

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
        file = self._file(name)
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        sealed = store.seal(self.passphrase, opslimit=self.opslimit, memlimit=self.memlimit)
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

    def room(self, room_id: str) -> Keystore | None:
        return self._load(f"rooms/{room_id}")

    def save_room(self, room_id: str, store: Keystore) -> None:
        self._save(f"rooms/{room_id}", store)
