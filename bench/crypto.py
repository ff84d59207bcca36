"""Cost of the end-to-end protocol per message and per handshake.

Run: ``.venv/bin/python -m bench.crypto`` (or ``.venv/bin/python bench/crypto.py``).
Figures are the median of several repeats; compare the ratios against the bare
XChaCha20-Poly1305 baseline measured in the same run.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from crypto import (
    Envelope,
    IdentityKeyPair,
    OneTimePreKey,
    PreKeyBundle,
    Session,
    SignedPreKey,
    accept_session,
    initiate_session,
)
from crypto import primitives as p
from crypto.x3dh import x3dh_initiate, x3dh_respond

PAYLOAD = os.urandom(1024)
REPEATS = 7


def _median_us(fn: Callable[[], object], n: int) -> float:
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(samples)


def _pair() -> tuple[Session, Session, IdentityKeyPair, SignedPreKey]:
    alice, bob = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    spk = SignedPreKey.generate(bob, 1)
    a = initiate_session(
        alice, PreKeyBundle.create(bob, spk), room="room", device="a", peer_device="b"
    )
    b, _ = accept_session(bob, spk, None, a.encrypt(b"hi"), device="b")
    a.decrypt(b.encrypt(b"hi"))
    return a, b, bob, spk


def main() -> None:
    key = p.random_bytes(32)

    def bare() -> None:
        nonce = p.random_bytes(24)
        p.aead_decrypt(key, nonce, p.aead_encrypt(key, nonce, PAYLOAD, b""), b"")

    a, b, _bob, _spk = _pair()

    def same_chain() -> None:
        b.decrypt(a.encrypt(PAYLOAD))

    def same_chain_wire() -> None:
        b.decrypt(Envelope.decode(a.encrypt(PAYLOAD).encode()))

    turn = [a, b]

    def ping_pong() -> None:  # every message performs a DH ratchet step
        sender, receiver = turn
        receiver.decrypt(sender.encrypt(PAYLOAD))
        turn.reverse()

    alice, bob = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    spk, opk = SignedPreKey.generate(bob, 1), OneTimePreKey.generate(2)
    bundle = PreKeyBundle.create(bob, spk, opk)

    def x3dh() -> None:
        x3dh_respond(bob, spk, opk, x3dh_initiate(alice, bundle).header)

    def full_handshake() -> None:
        session = initiate_session(alice, bundle, room="room", device="a", peer_device="b")
        accept_session(bob, spk, opk, session.encrypt(b"hello"), device="b")

    baseline = _median_us(bare, 5000)
    rows = [
        ("bare XChaCha20-Poly1305 seal+open, 1 KiB (baseline)", baseline),
        ("session encrypt+decrypt, 1 KiB, same chain", _median_us(same_chain, 2000)),
        ("  + envelope encode/decode (wire path)", _median_us(same_chain_wire, 2000)),
        ("session encrypt+decrypt, 1 KiB, DH ratchet step each", _median_us(ping_pong, 500)),
        ("X3DH handshake (initiate + respond, with OPK)", _median_us(x3dh, 200)),
        ("session setup + first 5-byte message, both sides", _median_us(full_handshake, 200)),
    ]
    print(f"python {sys.version.split()[0]}, median of {REPEATS} repeats")
    for label, micros in rows:
        print(f"{label:<58} {micros:9.1f} µs  {micros / baseline:6.1f}x baseline")


if __name__ == "__main__":
    main()
