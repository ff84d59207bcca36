"""The peer's pinned room identity key (docs/protocol.md §7.2): trust on first use, refuse a
change, only the user accepts one, and a change clears "verified"."""

from __future__ import annotations

import pytest

from crypto import (
    DecodeError,
    IdentityKeyChanged,
    IdentityKeyPair,
    Keystore,
    PeerPin,
    PreKeyBundle,
    SignedPreKey,
    initiate_session,
)
from crypto.encoding import canonical_json
from crypto.keystore import KEYSTORE_MAGIC, SealingKey
from crypto.primitives import ARGON2ID_MEMLIMIT_MIN, ARGON2ID_OPSLIMIT_MIN

OLD, NEW = b"\x01" * 32, b"\x02" * 32
LIMITS = {"opslimit": ARGON2ID_OPSLIMIT_MIN, "memlimit": ARGON2ID_MEMLIMIT_MIN}


def test_the_first_key_is_trusted_and_pinned() -> None:
    pin = PeerPin()
    pin.check(OLD)  # nothing pinned: allowed
    pin.trust(OLD)
    pin.trust(NEW)  # trust never replaces a pinned key
    assert pin.key == OLD and not pin.changed
    pin.check(OLD)


def test_another_key_is_refused_and_recorded_until_the_user_accepts_it() -> None:
    pin = PeerPin(key=OLD, verified=True)
    with pytest.raises(IdentityKeyChanged):
        pin.check(NEW)
    assert pin.key == OLD and pin.offered == NEW and pin.changed
    assert pin.verified  # the old key stays what it was until the user decides
    with pytest.raises(IdentityKeyChanged):
        pin.check(NEW)  # still refused: seeing it twice is no acknowledgement
    with pytest.raises(ValueError):
        pin.mark_verified()  # not while a change waits
    assert pin.accept() == NEW
    assert pin == PeerPin(key=NEW, verified=False, offered=None)
    pin.check(NEW)
    with pytest.raises(ValueError):
        pin.accept()


def test_verified_needs_a_pinned_key() -> None:
    with pytest.raises(ValueError):
        PeerPin().mark_verified()
    pin = PeerPin(key=OLD)
    pin.mark_verified()
    assert pin.verified


def test_repr_shows_no_key() -> None:
    assert OLD.hex() not in repr(PeerPin(key=OLD, offered=NEW))
    assert "changed=True" in repr(PeerPin(key=OLD, offered=NEW))


@pytest.mark.parametrize(
    "obj",
    [None, [], {}, {"key": None, "verified": True, "offered": None},
     {"key": None, "verified": False, "offered": "AQ"}, {"key": "x", "verified": False},
     {"key": None, "verified": "no"}],
)  # fmt: skip
def test_malformed_pins_raise_decode_error(obj: object) -> None:
    with pytest.raises(DecodeError):
        PeerPin.from_json(obj)


def _bundle(owner: IdentityKeyPair) -> PreKeyBundle:
    spk = SignedPreKey.generate(owner, 1)
    return PreKeyBundle(
        identity_key=owner.public_key,
        signed_prekey_id=1,
        signed_prekey=spk.public_key,
        signed_prekey_signature=spk.signature,
    )


def test_the_pin_persists_in_the_keystore() -> None:
    store = Keystore(identity=IdentityKeyPair.generate(), peer=PeerPin(OLD, True, NEW))
    again = Keystore.open(store.seal("pass", **LIMITS), "pass")
    assert again.peer == PeerPin(OLD, True, NEW)


def test_a_keystore_written_before_pins_is_pinned_to_its_current_session() -> None:
    peer, other = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    me = IdentityKeyPair.generate()
    store = Keystore(identity=me)
    store.sessions["room#previous"] = initiate_session(
        me, _bundle(other), room="room", device="a", peer_device="b"
    )
    store.sessions["room"] = initiate_session(
        me, _bundle(peer), room="room", device="a", peer_device="b"
    )
    # What an older client wrote: the same file without "peer".
    key = SealingKey.derive("pass", **LIMITS)
    body = store._to_json()
    del body["peer"]
    legacy = key.seal(canonical_json(body), magic=KEYSTORE_MAGIC)
    assert Keystore.open(legacy, "pass").peer == PeerPin(key=peer.public_key)
