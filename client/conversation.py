"""One room as the device sees it: its keystore, its sessions, and who is on the other side.

Pure: keys in, envelopes out. Persisting the keystore is the caller's job.

Sessions are kept under two names in the room keystore: the room id (the *current* session,
the one `client.api.Peerhaven.start_session` also uses) and `<room>#previous`. When both members
start X3DH at the same moment, each accepts the other's handshake and the two would otherwise
end up speaking different sessions; keeping the previous one and promoting whichever session
the peer's messages decrypt with makes the pair converge (as libsignal does with archived
session states).

The peer's room identity key is pinned (`crypto.PeerPin`, in the room keystore; docs/protocol.md
§7.2): the first session trusts it, and a bundle or handshake with another key is refused with
`crypto.IdentityKeyChanged` before any session is made. Only the user can `accept_key_change`
(after comparing the safety number again); a key change clears `verified`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from crypto import (
    DecryptionError,
    Envelope,
    EnvelopeType,
    InvalidKeyError,
    Keystore,
    OneTimePreKey,
    PreKeyBundle,
    ReceivedMessage,
    Session,
    accept_session,
    initiate_session,
    safety_number,
)

__all__ = ["Conversation", "add_one_time_prekeys"]

# One-time prekey ids of a top-up are drawn at random: ids are never reused (the server refuses
# an id it has seen, 409), and the keystore forgets the ids of used keys, so a counter kept there
# could not know them. Ids up to 2**31 keep clear of the small ids a first upload uses.
_ID_FLOOR, _ID_CEILING = 1 << 16, 1 << 31


def add_one_time_prekeys(keys: Keystore, count: int) -> list[OneTimePreKey]:
    """Make `count` fresh one-time prekeys with unused random ids and keep them in `keys`
    (the caller persists `keys` before uploading the public halves)."""
    made: list[OneTimePreKey] = []
    while len(made) < count:
        key_id = _ID_FLOOR + secrets.randbelow(_ID_CEILING - _ID_FLOOR)
        if key_id in keys.one_time_prekeys:
            continue
        key = OneTimePreKey.generate(key_id)
        keys.one_time_prekeys[key_id] = key
        made.append(key)
    return made


@dataclass(repr=False)
class Conversation:
    room: str
    me: str  # my member id (my device id in the room's envelopes)
    peer: str  # the peer's member id
    handle: str  # the peer's pseudonym
    keys: Keystore

    def __repr__(self) -> str:
        return f"Conversation(room={self.room!r}, handle={self.handle!r})"

    @property
    def _previous(self) -> str:
        return f"{self.room}#previous"

    @property
    def session(self) -> Session | None:
        return self.keys.sessions.get(self.room)

    def _install(self, session: Session) -> None:
        current = self.keys.sessions.get(self.room)
        if current is not None:
            self.keys.sessions[self._previous] = current
        self.keys.sessions[self.room] = session

    def _promote_previous(self) -> None:
        previous = self.keys.sessions.pop(self._previous)
        self._install(previous)

    # -- the peer's key -----------------------------------------------------------------------

    @property
    def key_changed(self) -> bool:
        """A bundle or handshake with another identity key was refused; until the user calls
        :meth:`accept_key_change`, nothing new is sent (`client.relay` refuses)."""
        return self.keys.peer.changed

    @property
    def verified(self) -> bool:
        """The user compared the safety number of the pinned key (:meth:`mark_verified`)."""
        return self.keys.peer.verified

    def mark_verified(self) -> None:
        """Record that the user compared the safety number. Raises `ValueError` without a
        session or while a key change waits for a decision."""
        if self.session is None:
            raise ValueError("no session yet: there is no safety number to verify")
        self.keys.peer.mark_verified()

    def accept_key_change(self) -> None:
        """The user acknowledged the new key: pin it (not verified), drop the sessions with
        the old one. The peer's next handshake (or the next bundle) with it is accepted.
        Raises `ValueError` when no change is waiting."""
        key = self.keys.peer.accept()
        for name in (self.room, self._previous):
            found = self.keys.sessions.get(name)
            if found is not None and found.peer_identity_key != key:
                del self.keys.sessions[name]
        if self.room not in self.keys.sessions and self._previous in self.keys.sessions:
            self.keys.sessions[self.room] = self.keys.sessions.pop(self._previous)

    # -- sessions ------------------------------------------------------------------------------

    def start(self, bundle: PreKeyBundle) -> Session:
        """Start X3DH as the initiator with the peer's (verified) bundle.

        Raises `IdentityKeyChanged` (the key is recorded as offered; nothing else changes)
        for a bundle whose identity key is not the pinned one."""
        self.keys.peer.check(bundle.identity_key)
        session = initiate_session(
            self.keys.identity, bundle, room=self.room, device=self.me, peer_device=self.peer
        )
        self.keys.peer.trust(bundle.identity_key)
        self._install(session)
        return session

    def encrypt(self, plaintext: bytes) -> Envelope:
        """Raises `LookupError` without a session (start one first)."""
        session = self.session
        if session is None:
            raise LookupError(self.room)
        return session.encrypt(plaintext)

    def decrypt(self, envelope: Envelope) -> ReceivedMessage:
        """Decrypt with the session the peer used, accepting a new handshake if need be.

        Raises `DecryptionError` (or another `CryptoError`): nothing is kept then, except that a
        `FrankingError` has consumed its message key, and `IdentityKeyChanged` (an authentic
        handshake with another key than the pinned one) has recorded the offered key; the caller
        persists either way.
        """
        if envelope.room != self.room or envelope.sender != self.peer:
            raise DecryptionError()
        names = [self.room, self._previous]
        sessions = [(n, s) for n in names if (s := self.keys.sessions.get(n)) is not None]
        header = envelope.x3dh
        if envelope.type is EnvelopeType.PREKEY and header is not None:
            for name, session in sessions:
                if session.is_same_handshake(header):
                    return self._decrypt_with(name, session, envelope)
            return self._accept(envelope)
        last: DecryptionError = DecryptionError()
        for name, session in sessions:
            try:
                return self._decrypt_with(name, session, envelope)
            except DecryptionError as exc:
                last = exc
        raise last

    def _decrypt_with(self, name: str, session: Session, envelope: Envelope) -> ReceivedMessage:
        message = session.decrypt(envelope)
        if name == self._previous:
            self._promote_previous()  # the peer speaks this one: answer in it
        return message

    def _accept(self, envelope: Envelope) -> ReceivedMessage:
        header = envelope.x3dh
        assert header is not None
        spk = self.keys.signed_prekeys.get(header.signed_prekey_id)
        opk_id = header.one_time_prekey_id
        opk = None if opk_id is None else self.keys.one_time_prekeys.get(opk_id)
        if spk is None or (opk_id is not None and opk is None):
            raise InvalidKeyError("the envelope names a prekey this room no longer holds")
        pin = self.keys.peer
        session, message = accept_session(self.keys.identity, spk, opk, envelope, device=self.me)
        # Checked once the handshake authenticated (its sender holds the key it names), so a
        # forged header cannot raise the warning; the session and the message are discarded
        # and the one-time prekey kept: nothing of the refused handshake is used.
        pin.check(header.identity_key)
        if opk_id is not None:
            del self.keys.one_time_prekeys[opk_id]  # a second handshake on it must fail
        pin.trust(header.identity_key)
        self._install(session)
        return message

    def safety_number(self) -> str | None:
        """The 60-digit number of the keys the current session uses (never the server's view
        of the room), or None before any session."""
        session = self.session
        if session is None:
            return None
        return safety_number(
            self.keys.identity.public_key, self.me, session.peer_identity_key, self.peer
        )
