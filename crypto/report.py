"""Sealed reports: a flag's note and revealed messages, readable only by the network's moderators.

A report is sealed once, under a fresh 32-byte report key, and that key is sealed to each
moderator device's X25519 *report key* (libsodium sealed boxes)::

    body       = canonical_json({"v": 1, "category", "note", "messages": [revealed...]})
    ad         = lp("peerhaven/v1/report") || lp(room id) || lp(category)
    ciphertext = XChaCha20-Poly1305(report_key, nonce = rng(24), body, ad)
    recipient  = {"key": b64(moderator report key), "sealed": b64(crypto_box_seal(report_key))}

The wire form (:meth:`SealedReport.encode`) is canonical JSON with unpadded base64url fields.
The server stores it as it came and can read nothing in it but the recipients' public keys.
The associated data binds the report to its room and category, so a report cannot be moved to
another flag. A revealed message carries what franking needs (:mod:`crypto.franking`): the
server message id, plaintext, franking key and the tag the relay delivered with it. The
moderator's client recomputes ``commit(franking_key, plaintext)`` and asks the server to check
it against the tag it stored (docs/protocol.md, "Sealed reports").

A moderator registers their report key under a signature of their device key over
``domain_message(REPORT_KEY_DOMAIN, report_key_payload(...))`` (:func:`report_key_payload`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import primitives as p
from .encoding import b64decode, b64encode, canonical_json, lp
from .errors import DecodeError, DecryptionError, InvalidKeyError

__all__ = [
    "MAX_NOTE_CHARS",
    "MAX_RECIPIENTS",
    "MAX_REVEALED_MESSAGES",
    "REPORT_DOMAIN",
    "REPORT_KEY_DOMAIN",
    "REPORT_VERSION",
    "Report",
    "ReportKeyPair",
    "RevealedMessage",
    "SealedReport",
    "open_report",
    "report_associated_data",
    "report_key_payload",
    "seal_report",
]

REPORT_VERSION = 1
REPORT_DOMAIN = b"peerhaven/v1/report"
REPORT_KEY_DOMAIN = b"peerhaven/v1/report-key"
MAX_RECIPIENTS = 64
MAX_REVEALED_MESSAGES = 20
MAX_NOTE_CHARS = 4000
_MAX_PLAINTEXT = 16 * 1024
_MAX_CIPHERTEXT = 512 * 1024
_SEALED_KEY_BYTES = p.SEALED_BOX_OVERHEAD + p.AEAD_KEY_BYTES


def report_associated_data(room: str, category: str) -> bytes:
    return lp(REPORT_DOMAIN) + lp(room.encode()) + lp(category.encode())


def report_key_payload(*, origin: str, report_key: bytes) -> bytes:
    """What a moderator's device signs (under :data:`REPORT_KEY_DOMAIN`) to register a key."""
    if len(report_key) != p.X25519_BYTES:
        raise InvalidKeyError("report key must be 32 bytes")
    return lp(origin.encode()) + report_key


@dataclass(frozen=True, repr=False)
class ReportKeyPair:
    """A moderator device's X25519 report key pair. ``repr`` never shows the private key."""

    private_key: bytes
    public_key: bytes

    @classmethod
    def generate(cls, rng: p.Random = p.random_bytes) -> ReportKeyPair:
        return cls.from_private(rng(p.X25519_BYTES))

    @classmethod
    def from_private(cls, private_key: bytes) -> ReportKeyPair:
        return cls(private_key, p.x25519_public(private_key))

    def __repr__(self) -> str:
        return f"ReportKeyPair(public_key={b64encode(self.public_key)!r})"


@dataclass(frozen=True, repr=False)
class RevealedMessage:
    """A received message the reporter chose to reveal, with what franking needs."""

    id: str  # the server's message id (the `deliver` frame's id)
    sender: str  # the sender's member id in the room
    plaintext: bytes
    franking_key: bytes
    tag: bytes

    def __repr__(self) -> str:
        return f"RevealedMessage(id={self.id!r}, sender={self.sender!r})"

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "sender": self.sender,
            "plaintext": b64encode(self.plaintext),
            "franking_key": b64encode(self.franking_key),
            "tag": b64encode(self.tag),
        }

    @classmethod
    def from_json(cls, data: Any) -> RevealedMessage:
        if not isinstance(data, dict) or set(data) != {
            "id",
            "sender",
            "plaintext",
            "franking_key",
            "tag",
        }:
            raise DecodeError("revealed message: unexpected fields")
        if not all(isinstance(data[k], str) and 0 < len(data[k]) <= 64 for k in ("id", "sender")):
            raise DecodeError("revealed message: bad id or sender")
        return cls(
            id=data["id"],
            sender=data["sender"],
            plaintext=b64decode(data["plaintext"], field="plaintext", max_length=_MAX_PLAINTEXT),
            franking_key=b64decode(
                data["franking_key"], field="franking_key", length=32, max_length=32
            ),
            tag=b64decode(data["tag"], field="tag", length=32, max_length=32),
        )


@dataclass(frozen=True, repr=False)
class Report:
    """What the reporter tells the moderators. ``repr`` shows no content."""

    category: str
    note: str = ""
    messages: tuple[RevealedMessage, ...] = field(default=())

    def __repr__(self) -> str:
        return f"Report(category={self.category!r}, messages={len(self.messages)})"

    def to_bytes(self) -> bytes:
        if len(self.note) > MAX_NOTE_CHARS:
            raise DecodeError(f"note: longer than {MAX_NOTE_CHARS} characters")
        if len(self.messages) > MAX_REVEALED_MESSAGES:
            raise DecodeError(f"at most {MAX_REVEALED_MESSAGES} revealed messages")
        return canonical_json(
            {
                "v": REPORT_VERSION,
                "category": self.category,
                "note": self.note,
                "messages": [m.to_json() for m in self.messages],
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Report:
        try:
            body = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise DecodeError("report: not JSON") from None
        if not isinstance(body, dict) or set(body) != {"v", "category", "note", "messages"}:
            raise DecodeError("report: unexpected fields")
        if body["v"] != REPORT_VERSION:
            raise DecodeError("report: unknown version")
        note, messages = body["note"], body["messages"]
        if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
            raise DecodeError("report: bad note")
        if not isinstance(messages, list) or len(messages) > MAX_REVEALED_MESSAGES:
            raise DecodeError("report: bad messages")
        if not isinstance(body["category"], str):
            raise DecodeError("report: bad category")
        return cls(body["category"], note, tuple(RevealedMessage.from_json(m) for m in messages))


@dataclass(frozen=True)
class SealedReport:
    """The wire form: one ciphertext and the report key sealed to each moderator report key."""

    nonce: bytes
    ciphertext: bytes
    recipients: tuple[tuple[bytes, bytes], ...]  # (report public key, sealed report key)

    def __repr__(self) -> str:
        return f"SealedReport({len(self.ciphertext)} bytes, {len(self.recipients)} recipients)"

    @property
    def recipient_keys(self) -> frozenset[bytes]:
        return frozenset(key for key, _ in self.recipients)

    def encode(self) -> str:
        return canonical_json(
            {
                "v": REPORT_VERSION,
                "nonce": b64encode(self.nonce),
                "ciphertext": b64encode(self.ciphertext),
                "recipients": [
                    {"key": b64encode(k), "sealed": b64encode(s)} for k, s in self.recipients
                ],
            }
        ).decode("ascii")

    @classmethod
    def decode(cls, text: object, *, max_bytes: int = _MAX_CIPHERTEXT) -> SealedReport:
        """Parse the wire form; :class:`DecodeError` (saying which part) for anything else."""
        if not isinstance(text, str):
            raise DecodeError("sealed report: expected a string")
        if len(text) > max_bytes:
            raise DecodeError(f"sealed report: longer than {max_bytes} bytes")
        try:
            body = json.loads(text)
        except ValueError:
            raise DecodeError("sealed report: not JSON") from None
        if not isinstance(body, dict) or set(body) != {"v", "nonce", "ciphertext", "recipients"}:
            raise DecodeError("sealed report: unexpected fields")
        if body["v"] != REPORT_VERSION:
            raise DecodeError("sealed report: unknown version")
        nonce = b64decode(body["nonce"], field="nonce", length=24, max_length=24)
        ciphertext = b64decode(body["ciphertext"], field="ciphertext", max_length=max_bytes)
        if len(ciphertext) < p.AEAD_TAG_BYTES:
            raise DecodeError("ciphertext: too short")
        listed = body["recipients"]
        if not isinstance(listed, list) or not 0 < len(listed) <= MAX_RECIPIENTS:
            raise DecodeError(f"recipients: 1 to {MAX_RECIPIENTS} expected")
        recipients = []
        for entry in listed:
            if not isinstance(entry, dict) or set(entry) != {"key", "sealed"}:
                raise DecodeError("recipients: unexpected fields")
            recipients.append(
                (
                    b64decode(entry["key"], field="key", length=32, max_length=32),
                    b64decode(
                        entry["sealed"],
                        field="sealed",
                        length=_SEALED_KEY_BYTES,
                        max_length=_SEALED_KEY_BYTES,
                    ),
                )
            )
        if len({key for key, _ in recipients}) != len(recipients):
            raise DecodeError("recipients: a key is listed twice")
        return cls(nonce, ciphertext, tuple(recipients))


def seal_report(
    report: Report, *, room: str, recipients: list[bytes], rng: p.Random = p.random_bytes
) -> SealedReport:
    """Encrypt ``report`` for ``recipients`` (moderator X25519 report keys)."""
    if not 0 < len(recipients) <= MAX_RECIPIENTS or len(set(recipients)) != len(recipients):
        raise DecodeError(f"1 to {MAX_RECIPIENTS} distinct recipients expected")
    report_key = rng(p.AEAD_KEY_BYTES)
    nonce = rng(p.AEAD_NONCE_BYTES)
    ciphertext = p.aead_encrypt(
        report_key, nonce, report.to_bytes(), report_associated_data(room, report.category)
    )
    sealed = tuple((key, p.crypto_box_seal(report_key, key, rng=rng)) for key in recipients)
    return SealedReport(nonce, ciphertext, sealed)


def open_report(sealed: SealedReport, *, room: str, category: str, keys: ReportKeyPair) -> Report:
    """Decrypt a report sealed to ``keys``. :class:`DecryptionError` if it is not for them, was
    altered, or belongs to another room or category; :class:`DecodeError` for a bad body."""
    mine = [s for key, s in sealed.recipients if key == keys.public_key]
    if not mine:
        raise DecryptionError()
    report_key = p.crypto_box_seal_open(mine[0], keys.public_key, keys.private_key)
    if len(report_key) != p.AEAD_KEY_BYTES:
        raise DecryptionError()
    body = p.aead_decrypt(
        report_key, sealed.nonce, sealed.ciphertext, report_associated_data(room, category)
    )
    report = Report.from_bytes(body)
    if report.category != category:
        raise DecryptionError()
    return report
