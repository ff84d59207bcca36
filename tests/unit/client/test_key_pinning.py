"""The peer's room identity key is pinned (issue 12, item 1; docs/protocol.md §7.2).

A malicious server can hand out a bundle with its own identity key, or relay a handshake it made
itself under the peer's member id. The first key a room's session uses is pinned; another one
is refused, the user is told calmly, and only the user can accept it.
"""

from __future__ import annotations

import json

import pytest

from client.conversation import Conversation
from client.errors import KeyChangePending
from client.events import KeyChanged, MessageReceived, Undecryptable
from client.ledger import Ledger
from client.relay import Relay
from crypto import IdentityKeyChanged, Keystore, safety_number
from tests.unit.client.conftest import Pair, Side, bundle_of, commit, open_relay, room_keys

from .test_relay import say, start


def established(pair: Pair) -> None:
    """Ann starts, Sam answers: both hold one session and have pinned each other's key."""
    start(pair, pair.ann)
    pair.sam.relay.receive(pair.deliver(pair.ann, say(pair, pair.ann, "hello")))
    commit(pair.sam.relay)
    pair.ann.relay.receive(pair.deliver(pair.sam, say(pair, pair.sam, "hi")))
    commit(pair.ann.relay)
    for side in (pair.ann, pair.sam):
        side.relay.events_received()


def impostor(pair: Pair, victim: Side) -> Side:
    """What a malicious server controls: the victim's peer member id, with its own keys."""
    peer = pair.peer_of(victim).conversation
    keys: Keystore = room_keys()
    fake = Conversation(pair.room, peer.me, peer.peer, peer.handle, keys)
    side = Side(relay=Relay(Ledger(), [fake]), conversation=fake)
    open_relay(side.relay)
    commit(side.relay)
    return side


def test_a_handshake_with_another_identity_key_is_refused(pair: Pair) -> None:
    established(pair)
    sam = pair.sam.conversation
    before, opks = sam.safety_number(), set(sam.keys.one_time_prekeys)
    session = sam.session
    mallory = impostor(pair, pair.sam)
    mallory.conversation.start(bundle_of(sam.keys))
    envelope = mallory.conversation.encrypt(b"it is me, with a new phone")

    with pytest.raises(IdentityKeyChanged):
        sam.decrypt(envelope)

    assert sam.session is session and sam.safety_number() == before  # nothing replaced
    assert set(sam.keys.one_time_prekeys) == opks  # nor any prekey used
    assert sam.key_changed
    assert sam.keys.peer.offered == mallory.conversation.keys.identity.public_key
    assert sam.keys.peer.key == pair.ann.conversation.keys.identity.public_key


def test_the_relay_warns_once_refuses_to_send_and_resumes_when_the_user_accepts(
    pair: Pair,
) -> None:
    established(pair)
    sam = pair.sam
    sam.relay.mark_verified(pair.room)
    commit(sam.relay)
    assert sam.conversation.verified
    mallory = impostor(pair, sam)
    mallory.relay.start_session(pair.room, bundle_of(sam.conversation.keys))
    for text in ("first", "second"):
        sam.relay.receive(pair.deliver(mallory, say(pair, mallory, text)))
    (ack,) = commit(sam.relay)  # both refused deliveries are recorded and acknowledged
    assert json.loads(ack)["type"] == "ack" and len(json.loads(ack)["ids"]) == 2
    events = sam.relay.events_received()
    assert [e for e in events if isinstance(e, KeyChanged)] == [
        KeyChanged(pair.room, sam.conversation.handle)
    ]  # one warning per change
    assert [e.reason for e in events if isinstance(e, Undecryptable)] == ["IdentityKeyChanged"] * 2
    assert not any(isinstance(e, MessageReceived) for e in events)
    with pytest.raises(KeyChangePending):
        sam.relay.send(pair.room, b"are you there?")
    assert sam.conversation.verified  # the old key stays verified until the user decides

    sam.relay.accept_key_change(pair.room)
    assert sam.relay.changes() is not None  # the decision is persisted
    commit(sam.relay)
    assert not sam.conversation.verified and not sam.conversation.key_changed
    assert sam.conversation.session is None  # the sessions with the old key are gone
    sam.relay.receive(pair.deliver(mallory, say(pair, mallory, "third")))
    commit(sam.relay)
    (received,) = [e for e in sam.relay.events_received() if isinstance(e, MessageReceived)]
    assert received.plaintext == b"third"
    mallory_key = mallory.conversation.keys.identity.public_key
    assert sam.conversation.safety_number() == safety_number(
        sam.conversation.keys.identity.public_key, sam.conversation.me, mallory_key,
        sam.conversation.peer,
    )  # fmt: skip
    sam.relay.send(pair.room, b"hello again")


def test_a_bundle_with_another_identity_key_is_refused(pair: Pair) -> None:
    established(pair)
    ann = pair.ann
    # The sessions are lost (say, a restored backup); the pin is not. The server now serves a
    # bundle of its own for Sam.
    ann.conversation.keys.sessions.clear()
    with pytest.raises(KeyChangePending):
        ann.relay.start_session(pair.room, bundle_of(room_keys()))
    assert ann.relay.events_received() == [KeyChanged(pair.room, ann.conversation.handle)]
    changes = ann.relay.changes()
    assert changes is not None and ann.conversation in changes.rooms  # the offered key is kept
    assert ann.conversation.session is None and ann.conversation.key_changed
    with pytest.raises(KeyChangePending):
        ann.relay.start_session(pair.room, bundle_of(pair.sam.conversation.keys))
    # The real bundle is fine again once the pin is back to it: accepting pins the offered one.
    ann.relay.accept_key_change(pair.room)
    with pytest.raises(KeyChangePending):
        ann.relay.start_session(pair.room, bundle_of(pair.sam.conversation.keys))


def test_a_first_session_pins_from_the_bundle_or_the_handshake(pair: Pair) -> None:
    assert pair.ann.conversation.keys.peer.key is None
    established(pair)
    assert pair.ann.conversation.keys.peer.key == pair.sam.conversation.keys.identity.public_key
    assert pair.sam.conversation.keys.peer.key == pair.ann.conversation.keys.identity.public_key


def test_a_new_handshake_with_the_same_key_is_still_accepted(pair: Pair) -> None:
    """Re-keying with the pinned identity (a new X3DH) is normal: no warning."""
    established(pair)
    pair.ann.conversation.keys.sessions.clear()
    start(pair, pair.ann)
    pair.sam.relay.receive(pair.deliver(pair.ann, say(pair, pair.ann, "new session")))
    commit(pair.sam.relay)
    events = pair.sam.relay.events_received()
    assert [type(e) for e in events] == [MessageReceived]


def test_verified_needs_a_session_and_a_change_clears_it(pair: Pair) -> None:
    with pytest.raises(ValueError):
        pair.ann.conversation.mark_verified()
    established(pair)
    pair.ann.conversation.mark_verified()
    assert pair.ann.conversation.verified
