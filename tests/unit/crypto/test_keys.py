from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from crypto import (
    SIGNED_PREKEY_DOMAIN,
    DecodeError,
    IdentityKeyPair,
    InvalidKeyError,
    Keystore,
    OneTimePreKey,
    PreKeyBundle,
    SignatureError,
    SignedPreKey,
    sign_with_domain,
    verify_signature,
    verify_with_domain,
)
from crypto.encoding import b64encode
from crypto.keys import X25519KeyPair, domain_message
from crypto.x3dh import x3dh_initiate, x3dh_respond

from .conftest import Pair


@pytest.fixture
def identity() -> IdentityKeyPair:
    return IdentityKeyPair(bytes(range(32)))


def test_signed_prekey_signs_documented_bytes(identity: IdentityKeyPair) -> None:
    spk = SignedPreKey.generate(identity, 0x01020304)
    signed = (
        len(SIGNED_PREKEY_DOMAIN).to_bytes(4, "big")
        + SIGNED_PREKEY_DOMAIN
        + bytes([1, 2, 3, 4])
        + spk.public_key
    )
    verify_signature(identity.public_key, signed, spk.signature)


def test_bundle_verifies_and_round_trips(identity: IdentityKeyPair) -> None:
    bundle = PreKeyBundle.create(
        identity, SignedPreKey.generate(identity, 1), OneTimePreKey.generate(2)
    )
    bundle.verify()
    assert PreKeyBundle.from_json(bundle.to_json()) == bundle


@pytest.mark.parametrize("field", ["signed_prekey", "signed_prekey_signature", "identity_key"])
def test_tampered_bundle_rejected(identity: IdentityKeyPair, field: str) -> None:
    bundle = PreKeyBundle.create(identity, SignedPreKey.generate(identity, 1))
    value = bytearray(getattr(bundle, field))
    value[3] ^= 0x10
    changed: dict[str, Any] = {field: bytes(value)}
    with pytest.raises(SignatureError):
        dataclasses.replace(bundle, **changed).verify()


def test_bundle_with_other_key_id_rejected(identity: IdentityKeyPair) -> None:
    bundle = PreKeyBundle.create(identity, SignedPreKey.generate(identity, 1))
    with pytest.raises(SignatureError):
        dataclasses.replace(bundle, signed_prekey_id=2).verify()


def test_x3dh_refuses_unverified_bundle(identity: IdentityKeyPair) -> None:
    bundle = PreKeyBundle.create(identity, SignedPreKey.generate(identity, 1))
    forged = dataclasses.replace(bundle, signed_prekey=X25519KeyPair(bytes(32)).public_key)
    with pytest.raises(SignatureError):
        x3dh_initiate(IdentityKeyPair.generate(), forged)


def test_x3dh_rejects_low_order_ephemeral(identity: IdentityKeyPair) -> None:
    spk = SignedPreKey.generate(identity, 1)
    result = x3dh_initiate(IdentityKeyPair.generate(), PreKeyBundle.create(identity, spk))
    bad = dataclasses.replace(result.header, ephemeral_key=bytes(32))
    with pytest.raises(InvalidKeyError):
        x3dh_respond(identity, spk, None, bad)


def test_x3dh_both_sides_agree(identity: IdentityKeyPair) -> None:
    spk, opk = SignedPreKey.generate(identity, 1), OneTimePreKey.generate(5)
    alice = IdentityKeyPair.generate()
    result = x3dh_initiate(alice, PreKeyBundle.create(identity, spk, opk))
    other = x3dh_respond(identity, spk, opk, result.header)
    assert result.shared_key == other.shared_key
    assert result.associated_data == other.associated_data == alice.public_key + identity.public_key
    assert result.shared_key.hex() not in repr(result)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "bundle: expected an object"),
        ({"ik": "AA"}, "bundle.ik: expected 32 bytes"),
        ({"x": 1}, "unknown fields"),
    ],
)
def test_bundle_decoder_errors(data: object, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        PreKeyBundle.from_json(data)


def test_bundle_opk_without_id_rejected(identity: IdentityKeyPair) -> None:
    data = PreKeyBundle.create(identity, SignedPreKey.generate(identity, 1)).to_json()
    data["opk"] = b64encode(bytes(32))
    with pytest.raises(DecodeError, match="one_time_prekey and its id go together"):
        PreKeyBundle.from_json(data)


def test_domain_signatures(identity: IdentityKeyPair) -> None:
    sig = sign_with_domain(identity, b"peerhaven/v1/room", b"payload")
    verify_with_domain(identity.public_key, b"peerhaven/v1/room", b"payload", sig)
    assert domain_message(b"ab", b"c") == b"\x00\x00\x00\x02abc"
    for domain, payload in (
        (b"peerhaven/v1/login", b"payload"),
        (b"peerhaven/v1/roo", b"mpayload"),
    ):
        with pytest.raises(SignatureError):
            verify_with_domain(identity.public_key, domain, payload, sig)


@pytest.mark.parametrize(
    ("public_key", "signature"),
    [(bytes(31), bytes(64)), (bytes(32), bytes(63)), (bytes(32), bytes(64))],
)
def test_verify_signature_rejects_garbage(public_key: bytes, signature: bytes) -> None:
    with pytest.raises(SignatureError):
        verify_signature(public_key, b"m", signature)


def test_key_id_range(identity: IdentityKeyPair) -> None:
    with pytest.raises(InvalidKeyError):
        SignedPreKey.generate(identity, 2**32)
    with pytest.raises(InvalidKeyError):
        OneTimePreKey.generate(-1)


def test_repr_never_shows_secrets(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    alice, bob = pair.establish()
    assert pair.opk is not None
    secrets = [
        pair.alice.seed,
        pair.alice.dh_private_key,
        pair.bob.seed,
        pair.spk.key_pair.private_key,
        pair.opk.key_pair.private_key,
    ]
    state = alice.ratchet.to_json()
    message = bob.decrypt(alice.encrypt(b"very private words"))
    objects: list[object] = [
        pair.alice,
        pair.spk,
        pair.spk.key_pair,
        pair.opk,
        alice,
        alice.ratchet,
        message,
        Keystore(pair.alice, {1: pair.spk}, {9: pair.opk}, {"s": alice}),
    ]
    for obj in objects:
        text = repr(obj) + str(obj)
        for secret in [*secrets, message.franking_key]:
            assert secret.hex() not in text
            assert repr(secret) not in text
            assert b64encode(secret) not in text
        for key in ("rk", "dhs", "cks", "ckr"):
            if state[key]:
                assert state[key] not in text
        assert "very private" not in text
