// The app's room state (web/app/room.js) between two devices, without a server: sessions
// start from a bundle, survive a round trip through the stored record, and two members who
// start X3DH at the same moment still converge (as client/conversation.py does).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { encoding } from './support/protocol.mjs';

const { RoomState } = await import(new URL('../app/room.js', import.meta.url).href);

const ROOM = '3f0c2a57-5b6e-4e8a-9d55-0c1e2f3a4b5c';
const A = '0a7c1c7e-5c3b-4f9e-8d1e-1a2b3c4d5e6f';
const B = '0b7c1c7e-5c3b-4f9e-8d1e-1a2b3c4d5e6f';
const text = new TextEncoder();
const read = (m) => new TextDecoder().decode(m.plaintext);

function member(id, handle) {
  return { member_id: id, handle, specialty: 'Emergency Medicine', experience_band: '5-9 years',
    identity_key: null, left: false };
}

function pair() {
  const a = RoomState.create({ id: ROOM, status: 'open', topics: ['burnout'],
    me: member(A, 'Warm Otter'), peer: member(B, 'Quiet Lark') });
  const b = RoomState.create({ id: ROOM, status: 'open', topics: ['burnout'],
    me: member(B, 'Quiet Lark'), peer: member(A, 'Warm Otter') });
  return [a, b];
}

// What POST /peer-bundle returns for `room` (one one-time prekey, served once).
function bundleOf(room, opkIndex = 0) {
  const upload = room.prekeyUpload();
  const opk = upload.one_time_prekeys[opkIndex];
  return {
    ik: encoding.b64encode(room.identity.publicKey), spk_id: upload.signed_prekey.key_id,
    spk: upload.signed_prekey.public_key, spk_sig: upload.signed_prekey.signature,
    opk_id: opk.key_id, opk: opk.public_key,
  };
}

const wire = (envelope) => envelope; // the relay would encode/decode; Envelope is reused here

test('a conversation starts from the bundle and continues after a reload', () => {
  const [a, b] = pair();
  a.start(bundleOf(b));
  const first = a.encrypt(text.encode('hello'));
  assert.equal(first.type, 'prekey');
  assert.equal(read(b.decrypt(wire(first))), 'hello');
  assert.equal(b.opks.size, 9, 'the used one-time prekey is deleted');

  const bAgain = new RoomState(JSON.parse(JSON.stringify(b.toRecord())));
  const reply = bAgain.encrypt(text.encode('hi, I am here'));
  assert.equal(read(a.decrypt(reply)), 'hi, I am here');
  assert.equal(a.encrypt(text.encode('thanks')).type, 'message');
  assert.equal(a.safetyNumber(), bAgain.safetyNumber());
  assert.match(a.safetyNumber(), /^(\d{5} ){11}\d{5}$/);
});

test('a simultaneous start converges on one session', () => {
  const [a, b] = pair();
  a.start(bundleOf(b, 0));
  b.start(bundleOf(a, 0));
  const fromA = a.encrypt(text.encode('from a'));
  const fromB = b.encrypt(text.encode('from b'));
  assert.equal(read(b.decrypt(fromA)), 'from a');
  assert.equal(read(a.decrypt(fromB)), 'from b');
  for (let i = 0; i < 3; i += 1) {
    assert.equal(read(b.decrypt(a.encrypt(text.encode(`a${i}`)))), `a${i}`);
    assert.equal(read(a.decrypt(b.encrypt(text.encode(`b${i}`)))), `b${i}`);
  }
});

test('an envelope from someone else, or replayed, is refused without changing anything', () => {
  const [a, b] = pair();
  a.start(bundleOf(b));
  const first = a.encrypt(text.encode('once'));
  b.decrypt(first);
  assert.throws(() => b.decrypt(first));
  const [, stranger] = pair();
  stranger.start(bundleOf(a));
  assert.throws(() => b.decrypt(stranger.encrypt(text.encode('not for you'))));
  assert.equal(read(b.decrypt(a.encrypt(text.encode('still fine')))), 'still fine');
});

test('message states only move forward', () => {
  const [a] = pair();
  a.addMessage({ id: 'm1', dir: 'out', text: 'x', ts: '', state: 'sending' });
  assert.ok(a.markOutgoing('m1', 'delivered'));
  assert.ok(!a.markOutgoing('m1', 'sent'));
  assert.equal(a.messages[0].state, 'delivered');
  assert.ok(!a.addMessage({ id: 'm1', dir: 'out', text: 'x', ts: '', state: 'sending' }));
});

// The peer's pinned room identity key (docs/protocol.md §7.2; issue 12, item 1).
const { IdentityKeyChanged } = await import(new URL('../js/protocol/errors.js', import.meta.url).href);

/** A malicious server's handshake: the peer's member id in the room, keys of its own. */
function impostorOf(victim) {
  const [fake] = pair();
  fake.view = { ...fake.view, me: victim.view.peer, peer: victim.view.me };
  return fake;
}

const reload = (room) => new RoomState(JSON.parse(JSON.stringify(room.toRecord())));

test('a handshake with another identity key is refused until the user accepts it', () => {
  const [a, b] = pair();
  a.start(bundleOf(b));
  b.decrypt(a.encrypt(text.encode('hello')));
  a.decrypt(b.encrypt(text.encode('hi')));
  const number = b.safetyNumber();
  b.markVerified();
  const opks = b.opks.size;
  const mallory = impostorOf(b);
  mallory.start(bundleOf(b, 3));

  assert.throws(() => b.decrypt(mallory.encrypt(text.encode('it is me, new phone'))),
    IdentityKeyChanged);
  assert.ok(b.keyChanged && b.verified, 'the old key stays verified until the user decides');
  assert.equal(b.safetyNumber(), number, 'nothing replaced');
  assert.equal(b.opks.size, opks, 'no prekey used');
  assert.throws(() => b.markVerified());
  const again = reload(b); // the refusal survives a reload: the server cannot make it silent
  assert.ok(again.keyChanged);
  assert.throws(() => again.decrypt(mallory.encrypt(text.encode('still me'))), IdentityKeyChanged);

  again.acceptKeyChange();
  assert.ok(!again.keyChanged && !again.verified);
  assert.equal(again.current, null, 'the sessions with the old key are gone');
  assert.equal(read(again.decrypt(mallory.encrypt(text.encode('third')))), 'third');
  assert.notEqual(again.safetyNumber(), number);
  assert.equal(again.safetyNumber(), mallory.safetyNumber());
});

test('a bundle with another identity key is refused', () => {
  const [a, b] = pair();
  a.start(bundleOf(b));
  b.decrypt(a.encrypt(text.encode('hello')));
  const mallory = impostorOf(a);
  a.current = null; // say, lost sessions: the pin stays
  a.previous = null;
  assert.throws(() => a.start(bundleOf(mallory)), IdentityKeyChanged);
  assert.equal(a.current, null);
  assert.ok(reload(a).keyChanged);
  a.start(bundleOf(b, 1)); // the real key is still welcome (the user has not accepted)
  assert.ok(a.current !== null);
});

test('the safety number comes from the session, never from the room view', () => {
  const [a, b] = pair();
  a.view.peer.identity_key = encoding.b64encode(b.identity.publicKey); // the server's claim
  assert.equal(a.safetyNumber(), null);
  assert.throws(() => a.markVerified());
  a.start(bundleOf(b));
  a.view.peer.identity_key = encoding.b64encode(impostorOf(a).identity.publicKey);
  const expected = b.safetyNumber();
  b.decrypt(a.encrypt(text.encode('x')));
  assert.equal(a.safetyNumber(), b.safetyNumber());
  assert.equal(expected, null);
});

test('a record written before pins trusts its current session', () => {
  const [a, b] = pair();
  a.start(bundleOf(b));
  const record = JSON.parse(JSON.stringify(a.toRecord()));
  delete record.pin;
  const restored = new RoomState(record);
  assert.deepEqual([...restored.pin.key], [...b.identity.publicKey]);
});

test('topped-up one-time prekeys are kept, have fresh ids, and serve a handshake', () => {
  const [a, b] = pair();
  const before = new Set(b.opks.keys());
  const upload = b.addOneTimePrekeys(12);
  const ids = upload.one_time_prekeys.map((k) => k.key_id);
  assert.equal(new Set(ids).size, 12, 'ids are distinct');
  assert.ok(ids.every((id) => !before.has(id) && id >= 0 && id <= 0xffffffff));
  assert.equal(b.opks.size, before.size + 12);
  assert.ok(!('signed_prekey' in upload), 'a top-up uploads one-time prekeys only');
  // Saved and restored, the new key still answers a handshake that uses it.
  const restored = new RoomState(JSON.parse(JSON.stringify(b.toRecord())));
  const last = upload.one_time_prekeys[11];
  const full = restored.prekeyUpload();
  a.start({ ik: encoding.b64encode(restored.identity.publicKey), spk_id: full.signed_prekey.key_id,
    spk: full.signed_prekey.public_key, spk_sig: full.signed_prekey.signature,
    opk_id: last.key_id, opk: last.public_key });
  const first = a.encrypt(text.encode('after a top-up'));
  assert.equal(read(restored.decrypt(wire(first))), 'after a top-up');
  assert.ok(!restored.opks.has(last.key_id), 'the used one-time prekey is deleted');
});
