from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from crypto import (
    IdentityKeyPair,
    OneTimePreKey,
    PreKeyBundle,
    Session,
    SignedPreKey,
    accept_session,
    initiate_session,
)
from crypto.vectors import DeterministicRandom

ROOM = "room-1"
ALICE = "alice-dev"
BOB = "bob-dev"


@dataclass
class Pair:
    alice: IdentityKeyPair
    bob: IdentityKeyPair
    spk: SignedPreKey
    opk: OneTimePreKey | None
    alice_session: Session
    bob_session: Session | None = None

    def bob_accepts(self, envelope_index_plaintext: bytes = b"first") -> None:
        envelope = self.alice_session.encrypt(envelope_index_plaintext)
        self.bob_session, _ = accept_session(self.bob, self.spk, self.opk, envelope, device=BOB)

    def establish(self) -> tuple[Session, Session]:
        """Both sides have received one message: no more X3DH headers."""
        self.bob_accepts()
        assert self.bob_session is not None
        self.alice_session.decrypt(self.bob_session.encrypt(b"reply"))
        return self.alice_session, self.bob_session


@pytest.fixture
def make_pair() -> Callable[..., Pair]:
    def make(*, with_opk: bool = True, seed: bytes = b"test") -> Pair:
        rng = DeterministicRandom(seed)
        alice = IdentityKeyPair.generate(rng)
        bob = IdentityKeyPair.generate(rng)
        spk = SignedPreKey.generate(bob, 1, rng)
        opk = OneTimePreKey.generate(9, rng) if with_opk else None
        bundle = PreKeyBundle.create(bob, spk, opk)
        session = initiate_session(alice, bundle, room=ROOM, device=ALICE, peer_device=BOB)
        return Pair(alice, bob, spk, opk, session)

    return make
