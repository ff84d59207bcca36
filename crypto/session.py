"""A conversation between two devices in one room: X3DH + Double Ratchet + franking + envelope.

This is the API clients use::

    session = initiate_session(alice, bob_bundle, room=..., device=..., peer_device=...)
    envelope = session.encrypt(b"hello")            # -> Envelope; envelope.encode() for the wire
    bob_session, message = accept_session(bob, spk, opk, envelope, device=...)
    reply = bob_session.encrypt(b"hi"); message = session.decrypt(reply)

Nothing here does I/O; persisting :meth:`Session.to_bytes` (encrypted, see
:mod:`crypto.keystore`) is the caller's job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import primitives as p
from .encoding import b64decode, b64encode, canonical_json
from .envelope import (
    MAX_PLAINTEXT_BYTES,
    Envelope,
    EnvelopeType,
    envelope_associated_data,
    validate_id,
)
from .errors import DecodeError, DecryptionError, FrankingError, InvalidKeyError, LimitError
from .franking import FRANKING_KEY_BYTES, commit, new_franking_key, verify_commitment
from .keys import IdentityKeyPair, OneTimePreKey, PreKeyBundle, SignedPreKey
from .ratchet import DoubleRatchet
from .x3dh import X3DHHeader, x3dh_initiate, x3dh_respond

__all__ = ["ReceivedMessage", "Session", "accept_session", "initiate_session"]

_STATE_VERSION = 1
_MAX_STATE_BYTES = 1 << 20


@dataclass(frozen=True, repr=False)
class ReceivedMessage:
    """A decrypted, commitment-checked message. Keep ``franking_key`` to be able to report."""

    plaintext: bytes
    franking_key: bytes = field(repr=False)
    commitment: bytes
    message_id: str
    sender: str
    room: str

    def __repr__(self) -> str:
        return f"ReceivedMessage(message_id={self.message_id!r}, sender={self.sender!r})"


class Session:
    """One side of an end-to-end encrypted conversation with one peer device in one room."""

    def __init__(
        self,
        ratchet: DoubleRatchet,
        *,
        room: str,
        device: str,
        peer_device: str,
        peer_identity_key: bytes,
        handshake: X3DHHeader,
        awaiting_reply: bool,
        rng: p.Random = p.random_bytes,
    ) -> None:
        self._ratchet = ratchet
        self.room = validate_id("room", room)
        self.device = validate_id("device", device)
        self.peer_device = validate_id("peer_device", peer_device)
        self.peer_identity_key = peer_identity_key
        self.handshake = handshake
        self._awaiting_reply = awaiting_reply
        self._rng = rng

    def __repr__(self) -> str:
        return (
            f"Session(room={self.room!r}, device={self.device!r}, "
            f"peer_device={self.peer_device!r}, {self._ratchet!r})"
        )

    @property
    def ratchet(self) -> DoubleRatchet:
        return self._ratchet

    @property
    def awaiting_reply(self) -> bool:
        """True for the initiator until it has decrypted a message from the peer; until then
        every envelope is a ``prekey`` envelope carrying :attr:`handshake`."""
        return self._awaiting_reply

    def is_same_handshake(self, header: X3DHHeader) -> bool:
        """Whether ``header`` (from a ``prekey`` envelope) belongs to this session's X3DH.
        If not, the peer started a new session: use :func:`accept_session`."""
        return header == self.handshake

    def encrypt(self, plaintext: bytes, *, message_id: str | None = None) -> Envelope:
        """Encrypt ``plaintext`` (at most 64 KiB) into an envelope.

        ``message_id`` is the client message id the server de-duplicates on; by default a
        random 128-bit base64url string.
        """
        if len(plaintext) > MAX_PLAINTEXT_BYTES:
            raise LimitError(f"plaintext larger than {MAX_PLAINTEXT_BYTES} bytes")
        if message_id is None:
            message_id = b64encode(self._rng(16))
        franking_key = new_franking_key(self._rng)
        pending = self.handshake if self._awaiting_reply else None
        fields: dict[str, Any] = {
            "type": EnvelopeType.MESSAGE if pending is None else EnvelopeType.PREKEY,
            "room": self.room,
            "sender": self.device,
            "message_id": validate_id("message_id", message_id),
            "x3dh": pending,
            "commitment": commit(franking_key, plaintext),
        }
        header, ciphertext = self._ratchet.encrypt(
            franking_key + plaintext, envelope_associated_data(**fields)
        )
        return Envelope(header=header, ciphertext=ciphertext, **fields)

    def decrypt(self, envelope: Envelope) -> ReceivedMessage:
        """Decrypt and check the franking commitment.

        Raises :class:`DecryptionError` (the session is unchanged), :class:`ReplayError`
        for a message already received, or :class:`FrankingError` for an authentic message
        whose commitment does not verify (that message is discarded).
        """
        if envelope.room != self.room or envelope.sender != self.peer_device:
            raise DecryptionError()
        payload = self._ratchet.decrypt(
            envelope.header, envelope.ciphertext, envelope.associated_data()
        )
        self._awaiting_reply = False  # the peer has our session: stop sending X3DH headers
        return _open_payload(envelope, payload)

    # -- persistence -------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """Serialised state (canonical JSON). Contains secrets: encrypt it at rest."""
        x3dh = self.handshake
        return canonical_json(
            {
                "v": _STATE_VERSION,
                "room": self.room,
                "device": self.device,
                "peer_device": self.peer_device,
                "peer_ik": b64encode(self.peer_identity_key),
                "handshake": {
                    "ik": b64encode(x3dh.identity_key),
                    "ek": b64encode(x3dh.ephemeral_key),
                    "spk": x3dh.signed_prekey_id,
                    "opk": x3dh.one_time_prekey_id,
                },
                "awaiting_reply": self._awaiting_reply,
                "ratchet": self._ratchet.to_json(),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes, rng: p.Random = p.random_bytes) -> Session:
        """Restore a session. Raises :class:`DecodeError`."""
        if len(data) > _MAX_STATE_BYTES:
            raise DecodeError("session state: too large")
        try:
            obj: Any = json.loads(data)
        except (ValueError, RecursionError):
            raise DecodeError("session state: not JSON") from None
        if not isinstance(obj, dict) or obj.get("v") != _STATE_VERSION:
            raise DecodeError("session state: unsupported version")
        raw = obj.get("handshake")
        awaiting = obj.get("awaiting_reply")
        if not isinstance(raw, dict) or not isinstance(awaiting, bool):
            raise DecodeError("session state: malformed handshake")
        try:
            x3dh = X3DHHeader(
                identity_key=b64decode(raw.get("ik"), field="ik", length=32, max_length=32),
                ephemeral_key=b64decode(raw.get("ek"), field="ek", length=32, max_length=32),
                signed_prekey_id=raw["spk"],
                one_time_prekey_id=raw.get("opk"),
            )
        except (KeyError, TypeError, ValueError, InvalidKeyError):
            raise DecodeError("session state: malformed handshake") from None
        return cls(
            DoubleRatchet.from_json(obj.get("ratchet"), rng=rng),
            room=validate_id("room", obj.get("room")),
            device=validate_id("device", obj.get("device")),
            peer_device=validate_id("peer_device", obj.get("peer_device")),
            peer_identity_key=b64decode(
                obj.get("peer_ik"), field="peer_ik", length=32, max_length=32
            ),
            handshake=x3dh,
            awaiting_reply=awaiting,
            rng=rng,
        )


def _open_payload(envelope: Envelope, payload: bytes) -> ReceivedMessage:
    if len(payload) < FRANKING_KEY_BYTES:
        raise FrankingError()
    franking_key, plaintext = payload[:FRANKING_KEY_BYTES], payload[FRANKING_KEY_BYTES:]
    verify_commitment(franking_key, plaintext, envelope.commitment)
    return ReceivedMessage(
        plaintext=plaintext,
        franking_key=franking_key,
        commitment=envelope.commitment,
        message_id=envelope.message_id,
        sender=envelope.sender,
        room=envelope.room,
    )


def initiate_session(
    identity: IdentityKeyPair,
    bundle: PreKeyBundle,
    *,
    room: str,
    device: str,
    peer_device: str,
    rng: p.Random = p.random_bytes,
) -> Session:
    """Start a session from the peer's prekey bundle (verified here; raises
    :class:`SignatureError`). Messages carry the X3DH header until the peer replies."""
    result = x3dh_initiate(identity, bundle, rng)
    ratchet = DoubleRatchet.initiator(
        result.shared_key, result.associated_data, bundle.signed_prekey, rng
    )
    return Session(
        ratchet,
        room=room,
        device=device,
        peer_device=peer_device,
        peer_identity_key=bundle.identity_key,
        handshake=result.header,
        awaiting_reply=True,
        rng=rng,
    )


def accept_session(
    identity: IdentityKeyPair,
    signed_prekey: SignedPreKey,
    one_time_prekey: OneTimePreKey | None,
    envelope: Envelope,
    *,
    device: str,
    rng: p.Random = p.random_bytes,
) -> tuple[Session, ReceivedMessage]:
    """Create the responder's session from a ``prekey`` envelope and decrypt it.

    The caller looks up the prekeys named in ``envelope.x3dh`` and, on success, deletes the
    one-time prekey. Raises :class:`DecryptionError` (or :class:`InvalidKeyError` for a
    mismatching prekey); nothing is created then.
    """
    if envelope.x3dh is None:
        raise DecodeError("envelope: not a prekey message")
    result = x3dh_respond(identity, signed_prekey, one_time_prekey, envelope.x3dh)
    ratchet = DoubleRatchet.responder(
        result.shared_key, result.associated_data, signed_prekey.key_pair, rng
    )
    session = Session(
        ratchet,
        room=envelope.room,
        device=device,
        peer_device=envelope.sender,
        peer_identity_key=envelope.x3dh.identity_key,
        handshake=envelope.x3dh,
        awaiting_reply=False,
        rng=rng,
    )
    return session, session.decrypt(envelope)
