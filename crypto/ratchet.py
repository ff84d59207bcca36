"""The Double Ratchet (Signal specification, revision 1) with Peerhaven's concrete choices.

    KDF_RK(rk, dh)  = HKDF-SHA256(salt = rk, IKM = dh, info = RATCHET_INFO, L = 64) -> rk', ck
    KDF_CK(ck)      = HMAC-SHA256(ck, 0x02) -> ck',  HMAC-SHA256(ck, 0x01) -> mk
    key || nonce    = HKDF-SHA256(salt = 32 zero bytes, IKM = mk, info = MESSAGE_KEY_INFO, L = 56)
    ciphertext      = XChaCha20-Poly1305(key, nonce, plaintext, AD || header || extra)

The session is a sans-I/O state machine. :meth:`DoubleRatchet.decrypt` computes every new
value into locals and commits them only after the AEAD tag verified, so a forged, corrupted or
replayed message leaves the session exactly as it was.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from . import primitives as p
from .encoding import b64decode, b64encode
from .errors import (
    CryptoError,
    DecodeError,
    DecryptionError,
    LimitError,
    ReplayError,
    SkippedMessageLimitError,
)
from .keys import X25519KeyPair

__all__ = [
    "HEADER_BYTES",
    "MAX_SKIPPED_PER_CHAIN",
    "MAX_SKIPPED_TOTAL",
    "MESSAGE_KEY_INFO",
    "RATCHET_INFO",
    "DoubleRatchet",
    "RatchetHeader",
    "kdf_ck",
    "kdf_rk",
    "message_cipher_params",
]

RATCHET_INFO = b"Peerhaven ratchet v1"
MESSAGE_KEY_INFO = b"Peerhaven message keys v1"
MAX_SKIPPED_PER_CHAIN = 1000
MAX_SKIPPED_TOTAL = 2000
HEADER_BYTES = 40
_MAX_COUNTER = 0xFFFFFFFF
_STATE_VERSION = 1


def kdf_rk(root_key: bytes, dh_output: bytes) -> tuple[bytes, bytes]:
    """(new root key, new chain key)."""
    out = p.hkdf_sha256(dh_output, salt=root_key, info=RATCHET_INFO, length=64)
    return out[:32], out[32:]


def kdf_ck(chain_key: bytes) -> tuple[bytes, bytes]:
    """(next chain key, message key) — the libsignal chain-key construction."""
    return p.hmac_sha256(chain_key, b"\x02"), p.hmac_sha256(chain_key, b"\x01")


def message_cipher_params(message_key: bytes) -> tuple[bytes, bytes]:
    """(AEAD key, 24-byte nonce) for one message key; each message key is used once."""
    out = p.hkdf_sha256(message_key, salt=bytes(32), info=MESSAGE_KEY_INFO, length=56)
    return out[:32], out[32:]


@dataclass(frozen=True)
class RatchetHeader:
    """``dh (32) || u32be(pn) || u32be(n)`` — 40 bytes."""

    dh: bytes
    pn: int
    n: int

    def __post_init__(self) -> None:
        if not isinstance(self.dh, bytes) or len(self.dh) != p.X25519_BYTES:
            raise DecodeError("ratchet header: dh must be 32 bytes")
        for name, value in (("pn", self.pn), ("n", self.n)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise DecodeError(f"ratchet header: {name} must be an integer")
            if not 0 <= value <= _MAX_COUNTER:
                raise DecodeError(f"ratchet header: {name} out of range")

    def to_bytes(self) -> bytes:
        return self.dh + struct.pack(">II", self.pn, self.n)

    @classmethod
    def from_bytes(cls, data: bytes) -> RatchetHeader:
        if len(data) != HEADER_BYTES:
            raise DecodeError(f"ratchet header: expected {HEADER_BYTES} bytes")
        pn, n = struct.unpack(">II", data[32:])
        return cls(data[:32], pn, n)


class DoubleRatchet:
    """One side of a Double Ratchet session. Use :meth:`initiator` / :meth:`responder`."""

    def __init__(
        self,
        *,
        associated_data: bytes,
        root_key: bytes,
        sending_key: X25519KeyPair,
        remote_key: bytes | None,
        sending_chain: bytes | None,
        receiving_chain: bytes | None,
        ns: int = 0,
        nr: int = 0,
        pn: int = 0,
        skipped: dict[tuple[bytes, int], bytes] | None = None,
        rng: p.Random = p.random_bytes,
    ) -> None:
        self._ad = associated_data
        self._rk = root_key
        self._dhs = sending_key
        self._dhr = remote_key
        self._cks = sending_chain
        self._ckr = receiving_chain
        self._ns = ns
        self._nr = nr
        self._pn = pn
        self._skipped: dict[tuple[bytes, int], bytes] = dict(skipped or {})
        self._rng = rng

    @classmethod
    def initiator(
        cls,
        shared_key: bytes,
        associated_data: bytes,
        remote_ratchet_key: bytes,
        rng: p.Random = p.random_bytes,
    ) -> DoubleRatchet:
        """Alice: the responder's signed prekey is the first remote ratchet key."""
        dhs = X25519KeyPair.generate(rng)
        rk, cks = kdf_rk(shared_key, p.x25519(dhs.private_key, remote_ratchet_key))
        return cls(
            associated_data=associated_data,
            root_key=rk,
            sending_key=dhs,
            remote_key=remote_ratchet_key,
            sending_chain=cks,
            receiving_chain=None,
            rng=rng,
        )

    @classmethod
    def responder(
        cls,
        shared_key: bytes,
        associated_data: bytes,
        ratchet_key: X25519KeyPair,
        rng: p.Random = p.random_bytes,
    ) -> DoubleRatchet:
        """Bob: his signed prekey pair is his first ratchet key pair."""
        return cls(
            associated_data=associated_data,
            root_key=shared_key,
            sending_key=ratchet_key,
            remote_key=None,
            sending_chain=None,
            receiving_chain=None,
            rng=rng,
        )

    @property
    def associated_data(self) -> bytes:
        return self._ad

    @property
    def skipped_count(self) -> int:
        return len(self._skipped)

    @property
    def can_send(self) -> bool:
        return self._cks is not None

    def __repr__(self) -> str:
        return (
            f"DoubleRatchet(ns={self._ns}, nr={self._nr}, pn={self._pn}, "
            f"skipped={len(self._skipped)})"
        )

    def encrypt(self, plaintext: bytes, extra: bytes = b"") -> tuple[RatchetHeader, bytes]:
        """Encrypt one message; ``extra`` is appended to the associated data."""
        if self._cks is None:
            raise CryptoError("cannot send before the first message from the peer is received")
        if self._ns >= _MAX_COUNTER:
            raise LimitError("sending chain exhausted")
        self._cks, mk = kdf_ck(self._cks)
        header = RatchetHeader(self._dhs.public_key, self._pn, self._ns)
        self._ns += 1
        key, nonce = message_cipher_params(mk)
        return header, p.aead_encrypt(key, nonce, plaintext, self._ad + header.to_bytes() + extra)

    def decrypt(self, header: RatchetHeader, ciphertext: bytes, extra: bytes = b"") -> bytes:
        """Decrypt one message. Raises :class:`DecryptionError` (or its subclasses
        :class:`ReplayError`, :class:`SkippedMessageLimitError`); the state is unchanged then."""
        ad = self._ad + header.to_bytes() + extra
        slot = (header.dh, header.n)
        if slot in self._skipped:
            key, nonce = message_cipher_params(self._skipped[slot])
            plaintext = p.aead_decrypt(key, nonce, ciphertext, ad)
            del self._skipped[slot]
            return plaintext

        new_skipped: list[tuple[tuple[bytes, int], bytes]] = []
        rk, dhs, pn, ns, cks = self._rk, self._dhs, self._pn, self._ns, self._cks
        if self._ckr is not None and header.dh == self._dhr:
            if header.n < self._nr:
                raise ReplayError()
            if header.n - self._nr > MAX_SKIPPED_PER_CHAIN:
                raise SkippedMessageLimitError()
            ckr, nr = self._ckr, self._nr
        else:
            if header.n > MAX_SKIPPED_PER_CHAIN:
                raise SkippedMessageLimitError()
            if self._ckr is not None and header.pn - self._nr > MAX_SKIPPED_PER_CHAIN:
                raise SkippedMessageLimitError()
            if self._ckr is not None and self._dhr is not None:
                ck, n = self._ckr, self._nr
                while n < header.pn:
                    ck, mk = kdf_ck(ck)
                    new_skipped.append(((self._dhr, n), mk))
                    n += 1
            try:
                rk, ckr = kdf_rk(rk, p.x25519(dhs.private_key, header.dh))
                dhs = X25519KeyPair.generate(self._rng)
                rk, cks = kdf_rk(rk, p.x25519(dhs.private_key, header.dh))
            except CryptoError:
                raise DecryptionError() from None
            pn, ns, nr = self._ns, 0, 0
        while nr < header.n:
            ckr, mk = kdf_ck(ckr)
            new_skipped.append(((header.dh, nr), mk))
            nr += 1
        ckr, mk = kdf_ck(ckr)
        key, nonce = message_cipher_params(mk)
        plaintext = p.aead_decrypt(key, nonce, ciphertext, ad)

        # Authenticated: commit.
        self._rk, self._dhs, self._pn, self._ns, self._cks = rk, dhs, pn, ns, cks
        self._dhr, self._ckr, self._nr = header.dh, ckr, nr + 1
        if new_skipped:
            self._skipped.update(new_skipped)
            self._evict()
        return plaintext

    def _evict(self) -> None:
        """Keep at most MAX_SKIPPED_PER_CHAIN keys per chain and MAX_SKIPPED_TOTAL in all,
        dropping the oldest first (those messages are the least likely still to arrive)."""
        per_chain: dict[bytes, int] = {}
        for dh, _n in self._skipped:
            per_chain[dh] = per_chain.get(dh, 0) + 1
        excess = len(self._skipped) - MAX_SKIPPED_TOTAL
        if excess <= 0 and all(c <= MAX_SKIPPED_PER_CHAIN for c in per_chain.values()):
            return
        for slot in list(self._skipped):
            dh = slot[0]
            if excess > 0 or per_chain[dh] > MAX_SKIPPED_PER_CHAIN:
                del self._skipped[slot]
                per_chain[dh] -= 1
                excess -= 1

    # -- persistence -------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The whole state as JSON-ready data. It contains secrets: encrypt it at rest."""

        def opt(value: bytes | None) -> str | None:
            return None if value is None else b64encode(value)

        return {
            "v": _STATE_VERSION,
            "ad": b64encode(self._ad),
            "rk": b64encode(self._rk),
            "dhs": b64encode(self._dhs.private_key),
            "dhr": opt(self._dhr),
            "cks": opt(self._cks),
            "ckr": opt(self._ckr),
            "ns": self._ns,
            "nr": self._nr,
            "pn": self._pn,
            "skipped": [[b64encode(dh), n, b64encode(mk)] for (dh, n), mk in self._skipped.items()],
        }

    @classmethod
    def from_json(cls, data: object, rng: p.Random = p.random_bytes) -> DoubleRatchet:
        """Restore a state written by :meth:`to_json`. Raises :class:`DecodeError`."""
        if not isinstance(data, dict):
            raise DecodeError("ratchet state: expected an object")
        if data.get("v") != _STATE_VERSION:
            raise DecodeError("ratchet state: unsupported version")

        def key(name: str, *, optional: bool = False) -> Any:
            value = data.get(name)
            if value is None and optional:
                return None
            return b64decode(value, field=f"ratchet.{name}", length=32, max_length=32)

        def counter(name: str) -> int:
            value = data.get(name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise DecodeError(f"ratchet state: {name} must be an integer")
            if not 0 <= value <= _MAX_COUNTER:
                raise DecodeError(f"ratchet state: {name} out of range")
            return value

        raw_skipped = data.get("skipped")
        if not isinstance(raw_skipped, list) or len(raw_skipped) > MAX_SKIPPED_TOTAL:
            raise DecodeError("ratchet state: skipped must be a list of at most 2000 keys")
        skipped: dict[tuple[bytes, int], bytes] = {}
        for item in raw_skipped:
            if not isinstance(item, list) or len(item) != 3:
                raise DecodeError("ratchet state: malformed skipped key")
            dh = b64decode(item[0], field="ratchet.skipped.dh", length=32, max_length=32)
            n = item[1]
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= _MAX_COUNTER:
                raise DecodeError("ratchet state: malformed skipped key")
            skipped[(dh, n)] = b64decode(
                item[2], field="ratchet.skipped.mk", length=32, max_length=32
            )
        dhr, ckr = key("dhr", optional=True), key("ckr", optional=True)
        if (dhr is None and ckr is not None) or (ckr is None) != (data.get("ckr") is None):
            raise DecodeError("ratchet state: inconsistent receiving chain")
        return cls(
            associated_data=b64decode(data.get("ad"), field="ratchet.ad", max_length=256),
            root_key=key("rk"),
            sending_key=X25519KeyPair(key("dhs")),
            remote_key=dhr,
            sending_chain=key("cks", optional=True),
            receiving_chain=ckr,
            ns=counter("ns"),
            nr=counter("nr"),
            pn=counter("pn"),
            skipped=skipped,
            rng=rng,
        )
