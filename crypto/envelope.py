"""The versioned, canonical wire format of one encrypted message.

An envelope is canonical JSON (sorted keys, no whitespace, ASCII) with base64url fields::

    {"commit":B64(32),"ct":B64,"header":B64(40),"id":ID,"room":ID,"sender":ID,
     "type":"message","v":1}

plus ``"x3dh":{"ek":B64(32),"ik":B64(32),"opk":INT,"spk":INT}`` (``opk`` optional) exactly
when ``type`` is ``"prekey"``. :meth:`Envelope.decode` accepts only that form: anything else
raises :class:`DecodeError` saying what is wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .encoding import b64decode, b64encode, canonical_json, lp, u32
from .errors import DecodeError, InvalidKeyError
from .ratchet import HEADER_BYTES, RatchetHeader
from .x3dh import X3DHHeader

__all__ = [
    "ENVELOPE_VERSION",
    "MAX_CIPHERTEXT_BYTES",
    "MAX_ENVELOPE_BYTES",
    "MAX_PLAINTEXT_BYTES",
    "Envelope",
    "EnvelopeType",
    "envelope_associated_data",
    "validate_id",
]

ENVELOPE_VERSION = 1
MAX_PLAINTEXT_BYTES = 65536
MAX_CIPHERTEXT_BYTES = MAX_PLAINTEXT_BYTES + 32 + 16  # franking key + Poly1305 tag
MAX_ENVELOPE_BYTES = 98304
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_FIELDS = {"v", "type", "room", "sender", "id", "header", "ct", "commit"}
_X3DH_FIELDS = {"ik", "ek", "spk", "opk"}


class EnvelopeType(StrEnum):
    PREKEY = "prekey"
    MESSAGE = "message"


def validate_id(field: str, value: object) -> str:
    """Room, device and message ids: 1-64 characters from ``[A-Za-z0-9_.:-]``."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise DecodeError(f"{field}: expected 1-64 characters from [A-Za-z0-9_.:-]")
    return value


def _int(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise DecodeError(f"{field}: expected an integer in [0, 2**32)")
    return value


@dataclass(frozen=True)
class Envelope:
    type: EnvelopeType
    room: str
    sender: str
    message_id: str
    header: RatchetHeader
    ciphertext: bytes
    commitment: bytes
    x3dh: X3DHHeader | None = None

    def __post_init__(self) -> None:
        validate_id("room", self.room)
        validate_id("sender", self.sender)
        validate_id("id", self.message_id)
        if not isinstance(self.type, EnvelopeType):
            raise DecodeError("type: expected 'prekey' or 'message'")
        if (self.type is EnvelopeType.PREKEY) != (self.x3dh is not None):
            raise DecodeError("x3dh: present exactly when type is 'prekey'")
        if not 16 <= len(self.ciphertext) <= MAX_CIPHERTEXT_BYTES:
            raise DecodeError(f"ct: expected 16 to {MAX_CIPHERTEXT_BYTES} bytes")
        if len(self.commitment) != 32:
            raise DecodeError("commit: expected 32 bytes")

    def associated_data(self) -> bytes:
        """The envelope fields bound into the AEAD (see :func:`envelope_associated_data`)."""
        return envelope_associated_data(
            type=self.type,
            room=self.room,
            sender=self.sender,
            message_id=self.message_id,
            x3dh=self.x3dh,
            commitment=self.commitment,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "v": ENVELOPE_VERSION,
            "type": self.type.value,
            "room": self.room,
            "sender": self.sender,
            "id": self.message_id,
            "header": b64encode(self.header.to_bytes()),
            "ct": b64encode(self.ciphertext),
            "commit": b64encode(self.commitment),
        }
        if self.x3dh is not None:
            x: dict[str, Any] = {
                "ik": b64encode(self.x3dh.identity_key),
                "ek": b64encode(self.x3dh.ephemeral_key),
                "spk": self.x3dh.signed_prekey_id,
            }
            if self.x3dh.one_time_prekey_id is not None:
                x["opk"] = self.x3dh.one_time_prekey_id
            out["x3dh"] = x
        return out

    def encode(self) -> bytes:
        """Canonical JSON bytes."""
        return canonical_json(self.to_json())

    @classmethod
    def decode(cls, data: bytes | str) -> Envelope:
        """Parse a wire envelope (bytes, or the text of a relay frame). Raises only
        :class:`DecodeError`, with a clear message that never quotes the input."""
        if isinstance(data, str):
            # A wire envelope is ASCII. Checked before encoding: a str from json.loads may hold a
            # lone surrogate, which has no UTF-8 form (str.encode would raise UnicodeEncodeError).
            if not data.isascii():
                raise DecodeError("envelope: not valid ASCII JSON")
            raw: object = data.encode("ascii")
        else:
            raw = data
        if not isinstance(raw, bytes):
            raise DecodeError("envelope: expected bytes or str")
        if len(raw) > MAX_ENVELOPE_BYTES:
            raise DecodeError(f"envelope: larger than {MAX_ENVELOPE_BYTES} bytes")
        try:
            text = raw.decode("ascii")
            obj = json.loads(
                text,
                object_pairs_hook=_no_duplicates,
                parse_float=_reject_float,
                parse_constant=_reject_float,
            )
        except DecodeError:
            raise
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise DecodeError("envelope: not valid ASCII JSON") from None
        envelope = cls.from_json(obj)
        if envelope.encode() != raw:
            raise DecodeError("envelope: not in canonical form")
        return envelope

    @classmethod
    def from_json(cls, obj: object) -> Envelope:
        if not isinstance(obj, dict):
            raise DecodeError("envelope: expected a JSON object")
        if "v" not in obj:
            raise DecodeError("envelope: missing version field 'v'")
        if obj["v"] != ENVELOPE_VERSION or isinstance(obj["v"], bool):
            raise DecodeError(f"envelope: unsupported version {obj['v']!r}")
        keys = set(obj)
        if missing := _FIELDS - keys:
            raise DecodeError(f"envelope: missing fields {sorted(missing)}")
        if unknown := keys - _FIELDS - {"x3dh"}:
            raise DecodeError(f"envelope: unknown fields {sorted(unknown)}")
        try:
            kind = EnvelopeType(obj["type"])
        except ValueError:
            raise DecodeError("type: expected 'prekey' or 'message'") from None
        header_bytes = b64decode(
            obj["header"], field="header", length=HEADER_BYTES, max_length=HEADER_BYTES
        )
        return cls(
            type=kind,
            room=validate_id("room", obj["room"]),
            sender=validate_id("sender", obj["sender"]),
            message_id=validate_id("id", obj["id"]),
            header=RatchetHeader.from_bytes(header_bytes),
            ciphertext=b64decode(obj["ct"], field="ct", max_length=MAX_CIPHERTEXT_BYTES),
            commitment=b64decode(obj["commit"], field="commit", length=32, max_length=32),
            x3dh=_x3dh_from_json(obj["x3dh"]) if "x3dh" in obj else None,
        )


def envelope_associated_data(
    *,
    type: EnvelopeType,
    room: str,
    sender: str,
    message_id: str,
    x3dh: X3DHHeader | None,
    commitment: bytes,
) -> bytes:
    """Every envelope field outside the ciphertext and ratchet header, for the AEAD AD:
    ``u32be(v) || lp(type) || lp(room) || lp(sender) || lp(id) || lp(x3dh) || lp(commit)``
    where ``x3dh`` is :meth:`X3DHHeader.to_bytes` or empty and ``lp(x) = u32be(len(x)) || x``.
    """
    return (
        u32(ENVELOPE_VERSION)
        + lp(type.value.encode("ascii"))
        + lp(room.encode("ascii"))
        + lp(sender.encode("ascii"))
        + lp(message_id.encode("ascii"))
        + lp(b"" if x3dh is None else x3dh.to_bytes())
        + lp(commitment)
    )


def _x3dh_from_json(obj: object) -> X3DHHeader:
    if not isinstance(obj, dict):
        raise DecodeError("x3dh: expected an object")
    if missing := {"ik", "ek", "spk"} - set(obj):
        raise DecodeError(f"x3dh: missing fields {sorted(missing)}")
    if unknown := set(obj) - _X3DH_FIELDS:
        raise DecodeError(f"x3dh: unknown fields {sorted(unknown)}")
    try:
        return X3DHHeader(
            identity_key=b64decode(obj["ik"], field="x3dh.ik", length=32, max_length=32),
            ephemeral_key=b64decode(obj["ek"], field="x3dh.ek", length=32, max_length=32),
            signed_prekey_id=_int("x3dh.spk", obj["spk"]),
            one_time_prekey_id=_int("x3dh.opk", obj["opk"]) if "opk" in obj else None,
        )
    except InvalidKeyError as exc:  # pragma: no cover - lengths are checked above
        raise DecodeError(f"x3dh: {exc}") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DecodeError(f"envelope: duplicate field {key!r}")
        out[key] = value
    return out


def _reject_float(value: str) -> Any:
    raise DecodeError("envelope: numbers must be integers")
