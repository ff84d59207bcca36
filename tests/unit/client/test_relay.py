"""The relay state machine (docs/protocol.md §13), driven frame by frame with no I/O."""

from __future__ import annotations

import json

import pytest

from client.errors import NoSessionError, RelayError, UnknownRoomError
from client.events import (
    Connected,
    MessageAccepted,
    MessageReceived,
    Notification,
    ProtocolViolation,
    RoomNeeded,
    SendRejected,
    ServerError,
    SyncDone,
    Undecryptable,
)
from client.ledger import Ledger
from client.relay import Relay, State
from crypto import PreKeyBundle
from tests.unit.client.conftest import Pair, Side, bundle_of, commit, make_pair, open_relay


def start(pair: Pair, side: Side) -> None:
    side.relay.start_session(pair.room, bundle_of(pair.peer_of(side).conversation.keys))
    commit(side.relay)


def say(pair: Pair, side: Side, text: str) -> str:
    """`side` sends `text`; returns the `send` frame it writes."""
    side.relay.send(pair.room, text.encode())
    (frame,) = commit(side.relay)
    return frame


def accepted(message_id: str) -> str:
    return json.dumps({"type": "accepted", "client_id": message_id, "id": "x", "ts": "t"})


def kinds(frames: list[str]) -> list[str]:
    return [json.loads(frame)["type"] for frame in frames]


# -- connecting --------------------------------------------------------------------------------


def test_auth_is_the_first_frame_and_sync_follows_ready_from_the_stored_cursor() -> None:
    relay = Relay(Ledger(cursor=41))
    relay.connect("ph1_secret")
    assert [json.loads(f) for f in relay.data_to_send()] == [
        {"type": "auth", "token": "ph1_secret"}
    ]
    assert relay.state is State.AUTHENTICATING
    relay.sync()
    relay.ping()
    assert relay.data_to_send() == []  # nothing else before `ready`
    relay.receive('{"type":"ready","cursor":50}')
    assert relay.state is State.OPEN
    assert [json.loads(f) for f in relay.data_to_send()] == [{"type": "sync", "after": 41}]
    assert relay.events_received() == [Connected(50)]
    with pytest.raises(RelayError):
        relay.connect("again")


def test_frames_before_ready_and_garbage_are_reported_not_fatal() -> None:
    relay = Relay(Ledger())
    relay.connect("t")
    relay.data_to_send()
    relay.receive('{"type":"synced","cursor":3}')
    relay.receive("not json")
    relay.receive('{"type":"surprise"}')
    relay.receive('{"type":"ready","cursor":0}')
    relay.receive('{"type":"ready","cursor":0}')
    events = relay.events_received()
    assert [type(e) for e in events] == [ProtocolViolation] * 3 + [Connected, ProtocolViolation]
    assert "not JSON" in str(events[1]) and relay.state is State.OPEN


def test_synced_moves_the_cursor_that_the_next_connection_syncs_from() -> None:
    relay = Relay(Ledger())
    open_relay(relay)
    relay.receive('{"type":"synced","cursor":7}')
    assert relay.events_received()[-1] == SyncDone(7)
    changes = relay.changes()
    assert changes is not None and changes.ledger is relay.ledger
    commit(relay)
    relay.receive('{"type":"synced","cursor":5}')  # never backwards
    assert relay.ledger.cursor == 7 and relay.changes() is None
    relay.connection_lost()
    assert kinds(open_relay(relay)) == ["auth", "sync"]
    relay.sync()
    assert json.loads(relay.data_to_send()[0]) == {"type": "sync", "after": 7}


def test_notify_pong_and_errors_become_events() -> None:
    relay = Relay(Ledger())
    open_relay(relay)
    relay.receive('{"type":"notify","event":"offer","data":{}}')
    relay.receive('{"type":"pong"}')
    relay.receive('{"type":"error","code":"malformed","message":"ack: too short"}')
    assert relay.events_received()[1:] == [
        Notification("offer", {}),
        ServerError("malformed", "ack: too short", None),
    ]


# -- sending -----------------------------------------------------------------------------------


def test_sending_needs_an_open_room_and_a_session(pair: Pair) -> None:
    with pytest.raises(UnknownRoomError):
        pair.ann.relay.send("00000000-0000-4000-8000-000000000000", b"hi")
    with pytest.raises(NoSessionError):
        pair.ann.relay.send(pair.room, b"hi")


def test_an_envelope_leaves_only_after_its_session_state_is_persisted(pair: Pair) -> None:
    start(pair, pair.ann)
    relay = pair.ann.relay
    envelope = relay.send(pair.room, b"first")
    assert relay.data_to_send() == []  # the ratchet step is not on disk yet
    changes = relay.changes()
    assert changes is not None and changes.keys_first
    assert changes.rooms == (pair.ann.conversation,) and changes.ledger is relay.ledger
    relay.persisted()
    (frame,) = relay.data_to_send()
    assert json.loads(json.loads(frame)["envelope"])["id"] == envelope.message_id
    assert relay.data_to_send() == []  # written once per connection
    assert relay.pending == [envelope.message_id]


def test_the_outbox_is_resent_in_order_after_reconnect_until_accepted(pair: Pair) -> None:
    start(pair, pair.ann)
    relay = pair.ann.relay
    frames = [say(pair, pair.ann, text) for text in ("one", "two", "three")]
    ids = relay.pending
    relay.receive(accepted(ids[1]))
    assert relay.events_received() == [MessageAccepted(pair.room, ids[1])]
    relay.connection_lost()
    assert relay.data_to_send() == []
    resent = open_relay(relay)
    assert kinds(resent) == ["auth", "sync"]  # the outbox change is not persisted yet
    assert commit(relay) == [frames[0], frames[2]]  # byte for byte: idempotent by id
    relay.receive(accepted(ids[1]))  # a late duplicate answer changes nothing
    assert relay.events_received()[-1] == Connected(0) and relay.changes() is None


def test_error_frames_settle_or_keep_an_outbox_entry(pair: Pair) -> None:
    start(pair, pair.ann)
    relay = pair.ann.relay
    for text in ("a", "b", "c"):
        say(pair, pair.ann, text)
    a, b, c = relay.pending
    for code, message, ref in (
        ("room_closed", "closed", a),
        ("too_large", "big", b),
        ("unavailable", "not stored; send it again", c),
    ):
        relay.receive(json.dumps({"type": "error", "code": code, "message": message, "ref": ref}))
    assert relay.events_received() == [
        SendRejected(pair.room, a, "room_closed", "closed"),
        SendRejected(pair.room, b, "too_large", "big"),
        ServerError("unavailable", "not stored; send it again", c),
    ]
    assert relay.pending == [c]  # kept, to be sent again


# -- receiving ---------------------------------------------------------------------------------


def test_a_prekey_envelope_starts_the_session_and_is_acked_after_persisting(pair: Pair) -> None:
    start(pair, pair.ann)
    deliver = pair.deliver(pair.ann, say(pair, pair.ann, "are you there?"))
    sam = pair.sam.relay
    assert pair.sam.conversation.session is None
    sam.receive(deliver)
    (event,) = sam.events_received()
    assert isinstance(event, MessageReceived)
    assert event.plaintext == b"are you there?" and event.handle == "Quiet Lark"
    assert "are you there" not in repr(event)
    assert pair.sam.conversation.session is not None
    assert 1 not in pair.sam.conversation.keys.one_time_prekeys  # used once, deleted
    assert sam.data_to_send() == []  # not stored yet: no ack
    changes = sam.changes()
    assert changes is not None and not changes.keys_first  # ledger first, then keys
    sam.persisted()
    (ack,) = sam.data_to_send()
    assert json.loads(ack) == {"type": "ack", "ids": [json.loads(deliver)["id"]]}
    (record,) = sam.ledger.received
    assert record.plaintext == b"are you there?" and record.tag == "dGFn"
    assert len(record.franking_key) == 32 and len(record.commitment) == 32
    assert "are you there" not in repr(record) and "franking" not in repr(record)


def test_a_delivery_is_shown_once_however_often_it_arrives(pair: Pair) -> None:
    start(pair, pair.ann)
    frame = say(pair, pair.ann, "once")
    first = pair.deliver(pair.ann, frame, delivery_id="11111111-1111-4111-8111-111111111111")
    again = pair.deliver(pair.ann, frame, delivery_id="22222222-2222-4222-8222-222222222222")
    sam = pair.sam.relay
    for incoming in (first, first, again):
        sam.receive(incoming)
    events = sam.events_received()
    assert [type(e) for e in events] == [MessageReceived]
    acks = [json.loads(f)["ids"] for f in commit(sam)]
    assert acks == [[json.loads(first)["id"], json.loads(again)["id"]]]
    assert len(sam.ledger.received) == 1 and sam.ledger.failures == []
    sam.receive(first)  # after the ack was lost: ack again, show nothing
    assert sam.events_received() == [] and kinds(commit(sam)) == ["ack"]


def test_an_undecryptable_delivery_is_recorded_acked_and_skipped(pair: Pair) -> None:
    start(pair, pair.ann)
    good = json.loads(say(pair, pair.ann, "hello"))["envelope"]
    sam = pair.sam.relay
    tampered = json.loads(good)
    tampered["ct"] = ("A" if tampered["ct"][0] != "A" else "B") + tampered["ct"][1:]
    forged = json.dumps(tampered, separators=(",", ":"), sort_keys=True)
    for envelope in ("{not an envelope", forged):
        sam.receive(pair.deliver(pair.ann, json.dumps({"type": "send", "envelope": envelope})))
    events = sam.events_received()
    assert [e.reason for e in events if isinstance(e, Undecryptable)] == [
        "DecodeError",
        "DecryptionError",
    ]
    assert kinds(commit(sam)) == ["ack"] and commit(sam) == []
    assert [f.reason for f in sam.ledger.failures] == ["DecodeError", "DecryptionError"]
    assert pair.sam.conversation.session is None  # nothing was created by the forgery
    sam.receive(pair.deliver(pair.ann, json.dumps({"type": "send", "envelope": good})))
    (event,) = sam.events_received()
    assert isinstance(event, MessageReceived) and event.plaintext == b"hello"


def test_a_delivery_whose_envelope_names_another_sender_is_refused(pair: Pair) -> None:
    start(pair, pair.ann)
    frame = json.loads(pair.deliver(pair.ann, say(pair, pair.ann, "hi")))
    frame["sender"] = "00000000-0000-4000-8000-000000000000"
    pair.sam.relay.receive(json.dumps(frame))
    (event,) = pair.sam.relay.events_received()
    assert isinstance(event, Undecryptable) and event.reason == "MismatchedEnvelope"


def test_a_conversation_both_ways_in_order(pair: Pair) -> None:
    start(pair, pair.ann)
    ann, sam = pair.ann.relay, pair.sam.relay
    for i in range(3):
        sam.receive(pair.deliver(pair.ann, say(pair, pair.ann, f"a{i}")))
    commit(sam)
    for i in range(2):
        ann.receive(pair.deliver(pair.sam, say(pair, pair.sam, f"s{i}")))
    commit(ann)
    got_sam = [e.plaintext for e in sam.events_received() if isinstance(e, MessageReceived)]
    got_ann = [e.plaintext for e in ann.events_received() if isinstance(e, MessageReceived)]
    assert got_sam == [b"a0", b"a1", b"a2"] and got_ann == [b"s0", b"s1"]
    session = pair.ann.conversation.session
    assert session is not None and not session.awaiting_reply
    number = pair.ann.conversation.safety_number()
    assert number is not None and number == pair.sam.conversation.safety_number()


def test_both_sides_starting_at_once_converge(pair: Pair) -> None:
    start(pair, pair.ann)
    start(pair, pair.sam)
    ann, sam = pair.ann.relay, pair.sam.relay
    to_sam = pair.deliver(pair.ann, say(pair, pair.ann, "hi from ann"))
    to_ann = pair.deliver(pair.sam, say(pair, pair.sam, "hi from sam"))
    sam.receive(to_sam)
    ann.receive(to_ann)
    commit(ann)
    commit(sam)
    for round_ in range(3):  # crossing messages, then replies
        a = pair.deliver(pair.ann, say(pair, pair.ann, f"ann {round_}"))
        s = pair.deliver(pair.sam, say(pair, pair.sam, f"sam {round_}"))
        sam.receive(a)
        ann.receive(s)
        commit(ann)
        commit(sam)
    for relay in (ann, sam):
        events = relay.events_received()
        assert not [e for e in events if isinstance(e, Undecryptable)], events
        assert len([e for e in events if isinstance(e, MessageReceived)]) == 4


def test_deliveries_for_a_room_not_open_wait_for_it_in_order() -> None:
    pair = make_pair()
    open_relay(pair.ann.relay)
    start(pair, pair.ann)
    frames = [pair.deliver(pair.ann, say(pair, pair.ann, f"m{i}")) for i in range(3)]
    ledger = Ledger()
    sam = Relay(ledger)  # the room is not open yet
    open_relay(sam)
    sam.events_received()
    for frame in frames:
        sam.receive(frame)
    sam.receive(json.dumps({"type": "synced", "cursor": 3}))
    assert sam.events_received() == [RoomNeeded(pair.room), SyncDone(0)]
    assert kinds(commit(sam)) == []  # nothing stored, nothing acked, cursor stays
    sam.open_room(pair.sam.conversation)
    got = [e.plaintext for e in sam.events_received() if isinstance(e, MessageReceived)]
    assert got == [b"m0", b"m1", b"m2"]
    assert kinds(commit(sam)) == ["ack"] and ledger.rooms[pair.room].handle == "Quiet Lark"


def test_deliveries_for_a_room_that_cannot_be_opened_are_recorded_and_acked() -> None:
    pair = make_pair()
    start(pair, pair.ann)
    open_relay(pair.ann.relay)
    frame = pair.deliver(pair.ann, say(pair, pair.ann, "lost"))
    sam = Relay(Ledger())
    open_relay(sam)
    sam.receive(frame)
    sam.room_unavailable(pair.room)
    assert isinstance(sam.events_received()[-1], Undecryptable)
    assert kinds(commit(sam)) == ["ack"]


def test_acks_are_batched_by_500_and_survive_a_reconnect(pair: Pair) -> None:
    sam = pair.sam.relay
    frame = json.dumps({"type": "send", "envelope": "{bad"})
    for _ in range(501):
        sam.receive(pair.deliver(pair.ann, frame))
    sam.connection_lost()
    sam.persisted()
    assert sam.data_to_send() == []
    frames = open_relay(sam)
    assert kinds(frames) == ["auth", "sync", "ack", "ack"]
    assert [len(json.loads(f)["ids"]) for f in frames[2:]] == [500, 1]


def test_deliveries_waiting_for_a_room_are_asked_for_again_after_a_reconnect() -> None:
    pair = make_pair()
    open_relay(pair.ann.relay)
    start(pair, pair.ann)
    frame = pair.deliver(pair.ann, say(pair, pair.ann, "hello"))
    sam = Relay(Ledger())
    open_relay(sam)
    sam.events_received()
    sam.receive(frame)
    assert sam.events_received() == [RoomNeeded(pair.room)]
    sam.connection_lost()
    open_relay(sam)
    sam.receive(frame)  # the sync brings it again: the room is asked for again
    assert sam.events_received() == [Connected(0), RoomNeeded(pair.room)]


def test_topped_up_prekeys_are_saved_before_upload_and_serve_a_handshake(pair: Pair) -> None:
    sam = pair.sam
    before = set(sam.conversation.keys.one_time_prekeys)
    fresh = sam.relay.add_one_time_prekeys(pair.room, 5)
    ids = [k.key_id for k in fresh]
    assert len(set(ids)) == 5 and not set(ids) & before
    assert all(1 << 16 <= i < 1 << 31 for i in ids)
    changes = sam.relay.changes()  # the keystore must be written before the upload
    assert changes is not None and [c.room for c in changes.rooms] == [pair.room]
    sam.relay.persisted()
    # The peer's handshake on a topped-up key is accepted, and the key is then used up.
    spk = sam.conversation.keys.signed_prekeys[1]
    bundle = PreKeyBundle(
        identity_key=sam.conversation.keys.identity.public_key,
        signed_prekey_id=spk.key_id,
        signed_prekey=spk.public_key,
        signed_prekey_signature=spk.signature,
        one_time_prekey_id=ids[0],
        one_time_prekey=fresh[0].public_key,
    )
    pair.ann.relay.start_session(pair.room, bundle)
    pair.ann.relay.send(pair.room, b"hello")
    (frame,) = commit(pair.ann.relay)
    sam.relay.receive(pair.deliver(pair.ann, frame))
    commit(sam.relay)
    assert [e.plaintext for e in sam.relay.events_received() if hasattr(e, "plaintext")] == [
        b"hello"
    ]
    assert ids[0] not in sam.conversation.keys.one_time_prekeys
    sam.relay.forget_one_time_prekeys(pair.room, ids[1:3])
    assert set(ids[3:]) <= set(sam.conversation.keys.one_time_prekeys)
    assert not set(ids[1:3]) & set(sam.conversation.keys.one_time_prekeys)
