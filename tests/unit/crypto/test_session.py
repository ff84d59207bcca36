"""Double Ratchet sessions: properties (Hypothesis) and the bounds of DESIGN's Protocol."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crypto.ratchet
from crypto import (
    DecryptionError,
    Envelope,
    EnvelopeType,
    FrankingError,
    ReplayError,
    Session,
    SkippedMessageLimitError,
    accept_session,
)
from crypto.errors import CryptoError, DecodeError
from crypto.ratchet import MAX_SKIPPED_PER_CHAIN, MAX_SKIPPED_TOTAL, RatchetHeader
from crypto.x3dh import X3DHHeader

from .conftest import BOB, Pair

PROPS = settings(
    max_examples=60,
    deadline=None,
    database=None,  # unit tests write nothing to disk
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def test_basic_conversation(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    first = pair.alice_session.encrypt(b"hello")
    assert first.x3dh is not None
    bob, received = accept_session(pair.bob, pair.spk, pair.opk, first, device=BOB)
    assert received.plaintext == b"hello"
    assert pair.alice_session.decrypt(bob.encrypt(b"hi")).plaintext == b"hi"
    later = pair.alice_session.encrypt(b"again")
    assert later.x3dh is None
    assert bob.decrypt(later).plaintext == b"again"


def test_new_handshake_is_recognised(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    pair.bob_accepts()
    bob = pair.bob_session
    assert bob is not None
    again = pair.alice_session.encrypt(b"second")
    assert again.x3dh is not None and bob.is_same_handshake(again.x3dh)
    restarted = make_pair().alice_session.encrypt(b"new session")  # a fresh X3DH
    assert restarted.x3dh is not None and not bob.is_same_handshake(restarted.x3dh)
    assert pair.alice_session.awaiting_reply and not bob.awaiting_reply


def test_prekey_envelope_downgraded_to_message_rejected(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    pair.bob_accepts()
    assert pair.bob_session is not None
    envelope = pair.alice_session.encrypt(b"x")
    downgraded = dataclasses.replace(envelope, type=EnvelopeType.MESSAGE, x3dh=None)
    with pytest.raises(DecryptionError):
        pair.bob_session.decrypt(downgraded)
    assert pair.bob_session.decrypt(envelope).plaintext == b"x"


def test_without_one_time_prekey(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(with_opk=False)
    alice, bob = pair.establish()
    assert bob.decrypt(alice.encrypt(b"x")).plaintext == b"x"


@PROPS
@given(st.data())
def test_round_trip_under_reordering_loss_and_restore(
    make_pair: Callable[..., Pair], data: st.DataObject
) -> None:
    pair = make_pair()
    alice: Session = pair.alice_session
    bob: Session | None = None
    to_bob: list[tuple[Envelope, bytes]] = []
    to_alice: list[tuple[Envelope, bytes]] = []
    counter = 0
    for _ in range(data.draw(st.integers(1, 40), label="steps")):
        actions = ["alice_send", "restore_alice"]
        if bob is not None:
            actions += ["bob_send", "restore_bob"]
        if to_bob:
            actions += ["to_bob", "drop_to_bob"]
        if to_alice:
            actions += ["to_alice", "drop_to_alice"]
        action = data.draw(st.sampled_from(actions))
        counter += 1
        text = f"message {counter}".encode()
        if action == "alice_send":
            to_bob.append((alice.encrypt(text), text))
        elif action == "bob_send":
            assert bob is not None
            to_alice.append((bob.encrypt(text), text))
        elif action == "restore_alice":
            alice = Session.from_bytes(alice.to_bytes())
        elif action == "restore_bob":
            assert bob is not None
            bob = Session.from_bytes(bob.to_bytes())
        elif action in ("to_bob", "drop_to_bob"):
            envelope, expected = to_bob.pop(data.draw(st.integers(0, len(to_bob) - 1)))
            if action == "to_bob":
                wire = Envelope.decode(envelope.encode())
                if bob is None:
                    bob, received = accept_session(pair.bob, pair.spk, pair.opk, wire, device=BOB)
                else:
                    received = bob.decrypt(wire)
                assert received.plaintext == expected
        else:
            envelope, expected = to_alice.pop(data.draw(st.integers(0, len(to_alice) - 1)))
            if action == "to_alice":
                assert alice.decrypt(Envelope.decode(envelope.encode())).plaintext == expected


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[(bit // 8) % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


def _tamper(envelope: Envelope, field: str, bit: int) -> Envelope:
    h, x = envelope.header, envelope.x3dh
    if field == "header.dh":
        return dataclasses.replace(envelope, header=dataclasses.replace(h, dh=_flip(h.dh, bit)))
    if field in ("header.pn", "header.n"):
        name = field.split(".")[1]
        value = getattr(h, name) ^ (1 << (bit % 32))
        return dataclasses.replace(envelope, header=dataclasses.replace(h, **{name: value}))
    if field == "ciphertext":
        return dataclasses.replace(envelope, ciphertext=_flip(envelope.ciphertext, bit))
    if field == "commitment":
        return dataclasses.replace(envelope, commitment=_flip(envelope.commitment, bit))
    if field in ("room", "sender", "message_id"):
        text = getattr(envelope, field)
        i = bit % len(text)
        new = "A" if text[i] != "A" else "B"
        changed: dict[str, Any] = {field: text[:i] + new + text[i + 1 :]}
        return dataclasses.replace(envelope, **changed)
    assert x is not None
    name = field.split(".")[1]
    new_value: Any
    if field in ("x3dh.identity_key", "x3dh.ephemeral_key"):
        new_value = _flip(getattr(x, name), bit)
    else:
        new_value = (getattr(x, name) or 0) ^ (1 << (bit % 32))
    x_changed: dict[str, Any] = {name: new_value}
    return dataclasses.replace(envelope, x3dh=dataclasses.replace(x, **x_changed))


COMMON_FIELDS = [
    "header.dh",
    "header.pn",
    "header.n",
    "ciphertext",
    "commitment",
    "room",
    "sender",
    "message_id",
]
X3DH_FIELDS = [
    "x3dh.identity_key",
    "x3dh.ephemeral_key",
    "x3dh.signed_prekey_id",
    "x3dh.one_time_prekey_id",
]


@PROPS
@given(field=st.sampled_from(COMMON_FIELDS), bit=st.integers(0, 10_000))
def test_flipped_bit_in_message_rejected_and_session_survives(
    make_pair: Callable[..., Pair], field: str, bit: int
) -> None:
    alice, bob = make_pair().establish()
    envelope = alice.encrypt(b"genuine")
    before = bob.to_bytes()
    with pytest.raises(DecryptionError):
        bob.decrypt(_tamper(envelope, field, bit))
    assert bob.to_bytes() == before
    assert bob.decrypt(envelope).plaintext == b"genuine"


@PROPS
@given(field=st.sampled_from(COMMON_FIELDS + X3DH_FIELDS), bit=st.integers(0, 10_000))
def test_flipped_bit_in_prekey_message_rejected(
    make_pair: Callable[..., Pair], field: str, bit: int
) -> None:
    pair = make_pair()
    pair.bob_accepts()
    bob = pair.bob_session
    assert bob is not None
    envelope = pair.alice_session.encrypt(b"genuine")
    assert envelope.x3dh is not None
    before = bob.to_bytes()
    with pytest.raises(DecryptionError):
        bob.decrypt(_tamper(envelope, field, bit))
    assert bob.to_bytes() == before
    assert bob.decrypt(envelope).plaintext == b"genuine"


@PROPS
@given(bit=st.integers(0, 10_000))
def test_flipped_bit_on_the_wire_rejected(make_pair: Callable[..., Pair], bit: int) -> None:
    alice, bob = make_pair().establish()
    envelope = alice.encrypt(b"genuine")
    wire = envelope.encode()
    with pytest.raises((DecodeError, DecryptionError)):
        bob.decrypt(Envelope.decode(_flip(wire, bit % (len(wire) * 8))))
    assert bob.decrypt(Envelope.decode(wire)).plaintext == b"genuine"


@PROPS
@given(field=st.sampled_from(["header.dh", "ciphertext", "commitment"]), bit=st.integers(0, 999))
def test_tampered_first_message_creates_no_session(
    make_pair: Callable[..., Pair], field: str, bit: int
) -> None:
    pair = make_pair()
    envelope = pair.alice_session.encrypt(b"first")
    with pytest.raises(CryptoError):
        accept_session(pair.bob, pair.spk, pair.opk, _tamper(envelope, field, bit), device=BOB)
    _session, received = accept_session(pair.bob, pair.spk, pair.opk, envelope, device=BOB)
    assert received.plaintext == b"first"


def test_replay_rejected(make_pair: Callable[..., Pair]) -> None:
    alice, bob = make_pair().establish()
    first, second = alice.encrypt(b"1"), alice.encrypt(b"2")
    bob.decrypt(second)  # first becomes a skipped key
    bob.decrypt(first)
    for envelope in (first, second):
        with pytest.raises(ReplayError):
            bob.decrypt(envelope)


def test_replay_of_message_from_older_chain_rejected(make_pair: Callable[..., Pair]) -> None:
    alice, bob = make_pair().establish()
    old = alice.encrypt(b"old")
    bob.decrypt(old)
    alice.decrypt(bob.encrypt(b"ratchet"))
    bob.decrypt(alice.encrypt(b"new chain"))
    before = bob.to_bytes()
    with pytest.raises(DecryptionError):
        bob.decrypt(old)
    assert bob.to_bytes() == before


@pytest.mark.parametrize("n", [MAX_SKIPPED_PER_CHAIN + 1, 10**9, 2**32 - 1])
@pytest.mark.parametrize("new_chain", [False, True])
def test_far_beyond_bounds_rejected_without_work(
    make_pair: Callable[..., Pair], monkeypatch: pytest.MonkeyPatch, n: int, new_chain: bool
) -> None:
    alice, bob = make_pair().establish()
    envelope = alice.encrypt(b"x")
    dh = bytes(range(1, 33)) if new_chain else envelope.header.dh
    forged = dataclasses.replace(envelope, header=RatchetHeader(dh, envelope.header.pn, n))
    calls: list[bytes] = []
    real = crypto.ratchet.kdf_ck

    def counting_kdf_ck(chain_key: bytes) -> tuple[bytes, bytes]:
        calls.append(chain_key)
        return real(chain_key)

    monkeypatch.setattr(crypto.ratchet, "kdf_ck", counting_kdf_ck)
    before = bob.to_bytes()
    with pytest.raises(SkippedMessageLimitError):
        bob.decrypt(forged)
    assert calls == []
    assert bob.to_bytes() == before
    monkeypatch.undo()
    assert bob.decrypt(envelope).plaintext == b"x"


def test_forged_previous_chain_length_rejected(make_pair: Callable[..., Pair]) -> None:
    alice, bob = make_pair().establish()
    envelope = alice.encrypt(b"x")
    forged = dataclasses.replace(
        envelope, header=RatchetHeader(bytes(range(1, 33)), MAX_SKIPPED_PER_CHAIN + 5, 0)
    )
    with pytest.raises(SkippedMessageLimitError):
        bob.decrypt(forged)


def test_exactly_the_chain_bound_is_accepted(make_pair: Callable[..., Pair]) -> None:
    alice, bob = make_pair().establish()
    envelopes = [alice.encrypt(b"%d" % i) for i in range(MAX_SKIPPED_PER_CHAIN + 2)]
    bob.decrypt(envelopes[MAX_SKIPPED_PER_CHAIN])
    assert bob.ratchet.skipped_count == MAX_SKIPPED_PER_CHAIN
    assert bob.decrypt(envelopes[0]).plaintext == b"0"
    assert bob.decrypt(envelopes[-1]).plaintext == b"%d" % (MAX_SKIPPED_PER_CHAIN + 1)


def test_session_total_stays_bounded(make_pair: Callable[..., Pair]) -> None:
    alice, bob = make_pair().establish()
    chains: list[list[Envelope]] = []
    for _round in range(3):
        chain = [alice.encrypt(b"m") for _ in range(MAX_SKIPPED_PER_CHAIN + 1)]
        bob.decrypt(chain[-1])
        chains.append(chain)
        alice.decrypt(bob.encrypt(b"ack"))
        assert bob.ratchet.skipped_count <= MAX_SKIPPED_TOTAL
    assert bob.ratchet.skipped_count == MAX_SKIPPED_TOTAL
    before = bob.to_bytes()
    with pytest.raises(DecryptionError):  # the oldest keys were evicted first
        bob.decrypt(chains[0][0])
    assert bob.to_bytes() == before
    assert bob.decrypt(chains[1][0]).plaintext == b"m"
    assert bob.decrypt(chains[2][5]).plaintext == b"m"


def test_wrong_commitment_is_discarded(make_pair: Callable[..., Pair]) -> None:
    """A malicious sender who commits to something else: authentic, but discarded."""
    alice, bob = make_pair().establish()
    ratchet = alice.ratchet
    real_encrypt = ratchet.encrypt

    def lying_encrypt(payload: bytes, extra: bytes = b"") -> tuple[RatchetHeader, bytes]:
        return real_encrypt(payload[:32] + b"something else", extra)

    ratchet.encrypt = lying_encrypt  # type: ignore[method-assign,assignment]
    envelope = alice.encrypt(b"what was committed")
    with pytest.raises(FrankingError):
        bob.decrypt(envelope)
    del ratchet.encrypt
    assert bob.decrypt(alice.encrypt(b"next")).plaintext == b"next"


def test_prekey_message_with_wrong_prekey_rejected(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    envelope = pair.alice_session.encrypt(b"x")
    assert envelope.x3dh is not None
    header = dataclasses.replace(envelope.x3dh, one_time_prekey_id=None)
    with pytest.raises(CryptoError):
        accept_session(
            pair.bob, pair.spk, None, dataclasses.replace(envelope, x3dh=header), device=BOB
        )


def test_restored_session_rejects_malformed_state() -> None:
    for bad in (b"", b"[]", b'{"v":2}', b'{"v":1,"ratchet":{"v":1}}', b"\xff" * 10):
        with pytest.raises(DecodeError):
            Session.from_bytes(bad)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"v": 9}, "unsupported version"),
        ({"rk": "AA"}, "ratchet.rk: expected 32 bytes"),
        ({"ns": -1}, "ns out of range"),
        ({"nr": "1"}, "nr must be an integer"),
        ({"skipped": [[1, 2]]}, "malformed skipped key"),
        ({"skipped": [["A" * 43, 0, "A" * 43]] * 2001}, "at most 2000 keys"),
        ({"dhr": None}, "inconsistent receiving chain"),
    ],
)
def test_ratchet_state_decoder_errors(
    make_pair: Callable[..., Pair], change: dict[str, Any], message: str
) -> None:
    alice, _bob = make_pair().establish()
    state = alice.ratchet.to_json() | change
    with pytest.raises(DecodeError, match=message):
        crypto.ratchet.DoubleRatchet.from_json(state)


def test_x3dh_header_layout() -> None:
    header = X3DHHeader(bytes(32), bytes(range(32)), 7, None)
    assert len(header.to_bytes()) == 73
    assert header.to_bytes()[64:] == bytes([0, 0, 0, 7, 0, 0, 0, 0, 0])
