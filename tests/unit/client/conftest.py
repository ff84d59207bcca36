"""Two devices in one room, as the relay client sees them: no server, no disk."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from itertools import count

import pytest

from client.conversation import Conversation
from client.ledger import Ledger
from client.relay import Relay
from crypto import IdentityKeyPair, Keystore, OneTimePreKey, PreKeyBundle, SignedPreKey


def room_keys(one_time: int = 3) -> Keystore:
    identity = IdentityKeyPair.generate()
    store = Keystore(identity=identity)
    store.signed_prekeys[1] = SignedPreKey.generate(identity, 1)
    for key_id in range(1, one_time + 1):
        store.one_time_prekeys[key_id] = OneTimePreKey.generate(key_id)
    return store


def bundle_of(store: Keystore) -> PreKeyBundle:
    """What `POST …/peer-bundle` would hand out (claiming the lowest one-time prekey)."""
    spk = store.signed_prekeys[1]
    opk = store.one_time_prekeys[min(store.one_time_prekeys)]
    return PreKeyBundle(
        identity_key=store.identity.public_key,
        signed_prekey_id=spk.key_id,
        signed_prekey=spk.public_key,
        signed_prekey_signature=spk.signature,
        one_time_prekey_id=opk.key_id,
        one_time_prekey=opk.public_key,
    )


def open_relay(relay: Relay, token: str = "ph1_token") -> list[str]:
    """Connect and complete the handshake; returns the frames written."""
    relay.connect(token)
    frames = relay.data_to_send()
    relay.receive(json.dumps({"type": "ready", "cursor": 0}))
    return frames + relay.data_to_send()


def commit(relay: Relay) -> list[str]:
    """What the shell does after every step: persist, then write."""
    if relay.changes() is not None:
        relay.persisted()
    return relay.data_to_send()


@dataclass
class Side:
    relay: Relay
    conversation: Conversation


@dataclass
class Pair:
    """A clinician (`ann`) and a supporter (`sam`) in one room, plus a pretend server."""

    room: str
    ann: Side
    sam: Side
    seq: count[int] = field(default_factory=lambda: count(1))

    def peer_of(self, side: Side) -> Side:
        return self.sam if side is self.ann else self.ann

    def deliver(self, side: Side, frame: str, *, delivery_id: str | None = None) -> str:
        """Turn a `send` frame written by `side` into a `deliver` frame for the peer."""
        sent = json.loads(frame)
        assert sent["type"] == "send"
        return json.dumps({
            "type": "deliver", "id": delivery_id or str(uuid.uuid4()), "seq": next(self.seq),
            "room": self.room, "sender": side.conversation.me, "envelope": sent["envelope"],
            "ts": "2026-11-26T08:00:00Z", "tag": "dGFn",
        })  # fmt: skip


def make_pair() -> Pair:
    room = str(uuid.uuid4())
    ann_id, sam_id = str(uuid.uuid4()), str(uuid.uuid4())
    ann = Conversation(room, ann_id, sam_id, "Calm Heron", room_keys())
    sam = Conversation(room, sam_id, ann_id, "Quiet Lark", room_keys())
    return Pair(
        room=room,
        ann=Side(Relay(Ledger(), [ann]), ann),
        sam=Side(Relay(Ledger(), [sam]), sam),
    )


@pytest.fixture
def pair() -> Pair:
    built = make_pair()
    for side in (built.ann, built.sam):
        open_relay(side.relay)
        commit(side.relay)
        side.relay.events_received()
    return built
