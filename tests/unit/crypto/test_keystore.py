from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crypto import Keystore, KeystoreError

from .conftest import Pair

FAST: dict[str, Any] = {"opslimit": 1, "memlimit": 8192}


@pytest.fixture
def store(make_pair: Callable[..., Pair]) -> tuple[Keystore, Pair]:
    pair = make_pair()
    pair.establish()
    assert pair.opk is not None and pair.bob_session is not None
    return Keystore(
        pair.bob, {1: pair.spk}, {9: pair.opk}, {"room-1/alice": pair.bob_session}
    ), pair


def test_round_trip_and_resume(store: tuple[Keystore, Pair]) -> None:
    keystore, pair = store
    blob = keystore.seal("correct horse", **FAST)
    assert pair.bob.seed not in blob
    opened = Keystore.open(blob, "correct horse")
    assert opened.identity == pair.bob
    assert opened.signed_prekeys[1].signature == pair.spk.signature
    assert opened.one_time_prekeys[9].public_key == keystore.one_time_prekeys[9].public_key
    session = opened.sessions["room-1/alice"]
    envelope = pair.alice_session.encrypt(b"after restart")
    assert session.decrypt(envelope).plaintext == b"after restart"


def test_wrong_passphrase(store: tuple[Keystore, Pair]) -> None:
    blob = store[0].seal("correct horse", **FAST)
    with pytest.raises(KeystoreError, match="wrong passphrase or corrupted keystore"):
        Keystore.open(blob, "battery staple")


@pytest.mark.parametrize("offset", [5, 12, 20, 40, -1])
def test_corruption_detected(store: tuple[Keystore, Pair], offset: int) -> None:
    blob = bytearray(store[0].seal("pw", **FAST))
    blob[offset] ^= 1
    with pytest.raises(KeystoreError):
        Keystore.open(bytes(blob), "pw")


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "too short"),
        (b"XXXX" + bytes(80), "not a Peerhaven keystore"),
        (b"PHKS\x02" + bytes(80), "unsupported keystore version 2"),
        (b"PHKS\x01" + (99).to_bytes(4, "big") + bytes(80), "unsupported key-derivation"),
    ],
)
def test_header_errors(blob: bytes, message: str) -> None:
    with pytest.raises(KeystoreError, match=message):
        Keystore.open(blob, "pw")
