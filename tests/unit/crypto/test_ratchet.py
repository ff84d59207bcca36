"""The Double Ratchet alone (crypto.ratchet), below sessions and envelopes: the KDF chains, the
DH ratchet steps, skipped keys, and state that is committed only after authentication."""

from __future__ import annotations

import pytest

from crypto import DecryptionError, ReplayError
from crypto import primitives as p
from crypto.keys import X25519KeyPair
from crypto.ratchet import (
    MAX_SKIPPED_PER_CHAIN,
    DoubleRatchet,
    RatchetHeader,
    kdf_ck,
    kdf_rk,
)
from crypto.vectors import DeterministicRandom

AD = b"alice-ik" + b"bob-ik"


def _pair(seed: bytes = b"ratchet") -> tuple[DoubleRatchet, DoubleRatchet]:
    rng = DeterministicRandom(seed)
    shared = rng(32)
    bob_spk = X25519KeyPair.generate(rng)
    alice = DoubleRatchet.initiator(shared, AD, bob_spk.public_key, rng)
    bob = DoubleRatchet.responder(shared, AD, bob_spk, rng)
    return alice, bob


def test_kdf_ck_is_hmac_with_the_signal_constants() -> None:
    ck = bytes(range(32))
    next_ck, mk = kdf_ck(ck)
    assert next_ck == p.hmac_sha256(ck, b"\x02") and mk == p.hmac_sha256(ck, b"\x01")


def test_kdf_rk_gives_a_new_root_and_chain() -> None:
    rk, ck = kdf_rk(bytes(32), bytes(range(32)))
    assert len(rk) == len(ck) == 32 and rk != ck
    assert kdf_rk(bytes(32), bytes(range(32))) == (rk, ck)  # deterministic


def test_the_responder_cannot_send_first() -> None:
    _, bob = _pair()
    assert not bob.can_send
    with pytest.raises(Exception, match="before the first message"):
        bob.encrypt(b"too early")


def test_each_turn_moves_the_dh_ratchet() -> None:
    alice, bob = _pair()
    h1, c1 = alice.encrypt(b"one")
    assert bob.decrypt(h1, c1) == b"one" and bob.can_send
    h2, c2 = bob.encrypt(b"two")
    assert h2.dh != h1.dh  # bob stepped his ratchet key
    assert alice.decrypt(h2, c2) == b"two"
    h3, _ = alice.encrypt(b"three")
    assert h3.dh not in (h1.dh, h2.dh) and h3.pn == 1 and h3.n == 0


def test_out_of_order_messages_use_skipped_keys_once() -> None:
    alice, bob = _pair()
    sent = [alice.encrypt(f"m{i}".encode()) for i in range(4)]
    assert bob.decrypt(*sent[3]) == b"m3"
    assert bob.skipped_count == 3
    assert bob.decrypt(*sent[1]) == b"m1"
    assert bob.skipped_count == 2
    with pytest.raises(ReplayError):
        bob.decrypt(*sent[3])


def test_a_failed_decrypt_changes_nothing() -> None:
    alice, bob = _pair()
    header, ciphertext = alice.encrypt(b"hello")
    before = bob.to_json()
    tampered = ciphertext[:-1] + bytes([ciphertext[-1] ^ 1])
    with pytest.raises(DecryptionError):
        bob.decrypt(header, tampered)
    assert bob.to_json() == before
    assert bob.decrypt(header, ciphertext) == b"hello"


def test_the_associated_data_binds_extra() -> None:
    alice, bob = _pair()
    header, ciphertext = alice.encrypt(b"hello", extra=b"commitment")
    with pytest.raises(DecryptionError):
        bob.decrypt(header, ciphertext, extra=b"other")
    assert bob.decrypt(header, ciphertext, extra=b"commitment") == b"hello"


def test_a_header_beyond_the_skip_bound_is_refused_without_work() -> None:
    alice, bob = _pair()
    header, ciphertext = alice.encrypt(b"x")
    far = RatchetHeader(header.dh, header.pn, MAX_SKIPPED_PER_CHAIN + 1)
    before = bob.to_json()
    with pytest.raises(DecryptionError):
        bob.decrypt(far, ciphertext)
    assert bob.to_json() == before


def test_state_survives_serialisation() -> None:
    alice, bob = _pair()
    bob.decrypt(*alice.encrypt(b"one"))
    restored = DoubleRatchet.from_json(bob.to_json())
    assert restored.decrypt(*alice.encrypt(b"two")) == b"two"
