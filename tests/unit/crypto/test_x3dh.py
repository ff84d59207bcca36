"""X3DH (crypto.x3dh): both sides derive the same key from the same DH outputs, the optional
fourth DH changes it, mismatched prekeys and low-order keys are refused."""

from __future__ import annotations

import pytest

from crypto import InvalidKeyError, SignatureError
from crypto import primitives as p
from crypto.keys import IdentityKeyPair, OneTimePreKey, PreKeyBundle, SignedPreKey
from crypto.vectors import DeterministicRandom
from crypto.x3dh import X3DHHeader, derive_shared_key, x3dh_initiate, x3dh_respond


def _parties(seed: bytes = b"x3dh") -> tuple[IdentityKeyPair, IdentityKeyPair, SignedPreKey,
                                             OneTimePreKey, DeterministicRandom]:  # fmt: skip
    rng = DeterministicRandom(seed)
    alice, bob = IdentityKeyPair.generate(rng), IdentityKeyPair.generate(rng)
    return alice, bob, SignedPreKey.generate(bob, 7, rng), OneTimePreKey.generate(3, rng), rng


@pytest.mark.parametrize("with_opk", [True, False])
def test_both_sides_agree(with_opk: bool) -> None:
    alice, bob, spk, opk, rng = _parties()
    bundle = PreKeyBundle.create(bob, spk, opk if with_opk else None)
    sent = x3dh_initiate(alice, bundle, rng)
    got = x3dh_respond(bob, spk, opk if with_opk else None, sent.header)
    assert got.shared_key == sent.shared_key and len(sent.shared_key) == 32
    assert sent.associated_data == got.associated_data == alice.public_key + bob.public_key
    assert (sent.header.one_time_prekey_id is not None) is with_opk


def test_the_one_time_prekey_changes_the_key() -> None:
    alice, bob, spk, opk, _ = _parties()
    with_opk = x3dh_initiate(alice, PreKeyBundle.create(bob, spk, opk), DeterministicRandom(b"e"))
    without = x3dh_initiate(alice, PreKeyBundle.create(bob, spk, None), DeterministicRandom(b"e"))
    assert with_opk.header.ephemeral_key == without.header.ephemeral_key
    assert with_opk.shared_key != without.shared_key


def test_shared_key_is_the_documented_hkdf() -> None:
    dhs = [bytes([i]) * 32 for i in (1, 2, 3)]
    expected = p.hkdf_sha256(b"\xff" * 32 + b"".join(dhs), salt=bytes(32),
                             info=b"Peerhaven X3DH v1", length=32)  # fmt: skip
    assert derive_shared_key(dhs) == expected
    with pytest.raises(ValueError):
        derive_shared_key(dhs[:2])


def test_a_bundle_with_a_bad_signature_is_refused() -> None:
    alice, bob, spk, opk, rng = _parties()
    good = PreKeyBundle.create(bob, spk, opk)
    signature = bytearray(good.signed_prekey_signature)
    signature[0] ^= 1
    forged = PreKeyBundle(
        identity_key=good.identity_key, signed_prekey_id=good.signed_prekey_id,
        signed_prekey=good.signed_prekey, signed_prekey_signature=bytes(signature),
        one_time_prekey_id=good.one_time_prekey_id, one_time_prekey=good.one_time_prekey,
    )  # fmt: skip
    with pytest.raises(SignatureError):
        x3dh_initiate(alice, forged, rng)


def test_responder_refuses_prekeys_the_header_does_not_name() -> None:
    alice, bob, spk, opk, rng = _parties()
    sent = x3dh_initiate(alice, PreKeyBundle.create(bob, spk, opk), rng)
    other_spk = SignedPreKey.generate(bob, 8, rng)
    with pytest.raises(InvalidKeyError, match="signed prekey"):
        x3dh_respond(bob, other_spk, opk, sent.header)
    with pytest.raises(InvalidKeyError, match="one-time prekey"):
        x3dh_respond(bob, spk, None, sent.header)


def test_a_low_order_ephemeral_key_is_refused() -> None:
    alice, bob, spk, opk, _ = _parties()
    header = X3DHHeader(identity_key=alice.public_key, ephemeral_key=bytes(32),
                        signed_prekey_id=spk.key_id, one_time_prekey_id=opk.key_id)  # fmt: skip
    with pytest.raises(InvalidKeyError):
        x3dh_respond(bob, spk, opk, header)


def test_header_layout_and_bounds() -> None:
    alice, _, _, _, _ = _parties()
    header = X3DHHeader(alice.public_key, bytes(range(32)), 0xFFFFFFFF, None)
    layout = header.to_bytes()
    assert len(layout) == 73 and layout[64:68] == b"\xff" * 4 and layout[68:] == bytes(5)
    with pytest.raises(InvalidKeyError):
        X3DHHeader(alice.public_key, bytes(range(32)), 1 << 32)
    with pytest.raises(InvalidKeyError):
        X3DHHeader(alice.public_key[:31], bytes(range(32)), 1)
