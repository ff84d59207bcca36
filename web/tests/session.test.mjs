// Sessions: round trips, tampering, replay, skipped-key bounds, franking, persistence.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ALICE, BOB, ROOM, makePair, text } from './support/pair.mjs';
import {
  encoding, envelope as env, flip, keys, protocol, ratchet, utf8,
} from './support/protocol.mjs';

const {
  CryptoError, DecodeError, DecryptionError, Envelope, FrankingError, InvalidKeyError,
  LimitError, ReplayError, SignatureError, SkippedMessageLimitError,
} = protocol;

/** A copy of `envelope` with some fields replaced (re-validated by the constructor). */
const tamper = (envelope, fields) => new Envelope({ ...envelope, ...fields });

const snapshot = (session) => encoding.toHex(session.toBytes());

describe('conversation', () => {
  test('round trip both ways, prekey envelopes until the first reply', () => {
    const pair = makePair();
    const e1 = pair.aliceSession.encrypt(utf8('hello'));
    assert.equal(e1.type, 'prekey');
    assert.equal(pair.aliceSession.encrypt(utf8('again')).type, 'prekey');
    const { session: bob, message } = protocol.acceptSession(
      pair.bob, pair.spk, pair.opk, e1, { device: BOB },
    );
    assert.equal(text(message), 'hello');
    assert.equal(message.sender, ALICE);
    assert.ok(bob.isSameHandshake(e1.x3dh));
    assert.equal(bob.peerDevice, ALICE);
    const reply = bob.encrypt(utf8('hi'));
    assert.equal(reply.type, 'message');
    assert.equal(text(pair.aliceSession.decrypt(reply)), 'hi');
    assert.equal(pair.aliceSession.awaitingReply, false);
    assert.equal(pair.aliceSession.encrypt(utf8('now plain')).type, 'message');
  });

  test('without a one-time prekey', () => {
    const pair = makePair({ withOpk: false });
    const [alice, bob] = pair.establish();
    assert.equal(pair.aliceSession.handshake.oneTimePrekeyId, null);
    assert.equal(text(bob.decrypt(alice.encrypt(utf8('x')))), 'x');
  });

  test('out of order delivery across DH ratchet steps', () => {
    const [alice, bob] = makePair().establish();
    const early = [alice.encrypt(utf8('a0')), alice.encrypt(utf8('a1')), alice.encrypt(utf8('a2'))];
    assert.equal(text(bob.decrypt(early[2])), 'a2');
    alice.decrypt(bob.encrypt(utf8('b0')));
    const late = alice.encrypt(utf8('new chain'));
    assert.equal(text(bob.decrypt(late)), 'new chain');
    assert.equal(text(bob.decrypt(early[0])), 'a0');
    assert.equal(text(bob.decrypt(early[1])), 'a1');
    assert.equal(bob.ratchet.skippedCount, 0);
  });

  test('a responder cannot send before receiving', () => {
    const pair = makePair();
    const e = pair.aliceSession.encrypt(utf8('x'));
    const { session } = protocol.acceptSession(pair.bob, pair.spk, pair.opk, e, { device: BOB });
    const fresh = ratchet.DoubleRatchet.responder(new Uint8Array(32), new Uint8Array(64), pair.spk.keyPair);
    assert.throws(() => fresh.encrypt(utf8('x')), CryptoError);
    assert.ok(session.ratchet.canSend);
  });

  test('plaintext limit', () => {
    const [alice, bob] = makePair().establish();
    assert.throws(() => alice.encrypt(new Uint8Array(65537)), LimitError);
    const big = alice.encrypt(new Uint8Array(65536).fill(7));
    const wire = big.encode();
    assert.ok(wire.length <= protocol.MAX_ENVELOPE_BYTES);
    assert.equal(bob.decrypt(Envelope.decode(wire)).plaintext.length, 65536);
    assert.throws(() => alice.encrypt('a string'), TypeError);
  });

  test('message ids: default random 22 characters, or given and validated', () => {
    const [alice] = makePair().establish();
    assert.match(alice.encrypt(utf8('x')).messageId, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(alice.encrypt(utf8('x'), { messageId: 'm-1' }).messageId, 'm-1');
    assert.throws(() => alice.encrypt(utf8('x'), { messageId: 'a b' }), DecodeError);
  });
});

describe('tampering: DecryptionError, state unchanged, the next genuine message decrypts', () => {
  const mutations = {
    'ciphertext, first byte': (e) => tamper(e, { ciphertext: flip(e.ciphertext, 0) }),
    'ciphertext, payload bit 7': (e) => tamper(e, { ciphertext: flip(e.ciphertext, 40, 7) }),
    'ciphertext, Poly1305 tag': (e) => tamper(e, { ciphertext: flip(e.ciphertext, e.ciphertext.length - 1) }),
    'ciphertext, truncated': (e) => tamper(e, { ciphertext: e.ciphertext.slice(0, -1) }),
    'commitment': (e) => tamper(e, { commitment: flip(e.commitment, 3) }),
    'message id': (e) => tamper(e, { messageId: `${e.messageId}x` }),
    'header counter n': (e) => tamper(e, { header: ratchet.RatchetHeader.fromBytes(flip(e.header.toBytes(), 39)) }),
    'header pn': (e) => tamper(e, { header: ratchet.RatchetHeader.fromBytes(flip(e.header.toBytes(), 35)) }),
    'header ratchet key': (e) => tamper(e, { header: ratchet.RatchetHeader.fromBytes(flip(e.header.toBytes(), 5)) }),
    'room': (e) => tamper(e, { room: 'room-2' }),
    'sender': (e) => tamper(e, { sender: 'mallory' }),
  };
  for (const [name, mutate] of Object.entries(mutations)) {
    test(name, () => {
      const [alice, bob] = makePair().establish();
      const genuine = alice.encrypt(utf8('genuine'));
      const before = snapshot(bob);
      assert.throws(() => bob.decrypt(mutate(genuine)), DecryptionError);
      assert.equal(snapshot(bob), before);
      assert.equal(text(bob.decrypt(genuine)), 'genuine');
      assert.equal(text(bob.decrypt(alice.encrypt(utf8('next')))), 'next');
    });
  }

  test('every single-bit flip of a wire envelope is rejected', () => {
    const [alice, bob] = makePair().establish();
    const wire = alice.encrypt(utf8('bits')).encode();
    const before = snapshot(bob);
    for (let i = 0; i < wire.length; i += 1) {
      for (let bit = 0; bit < 8; bit += 1) {
        const bad = flip(wire, i, bit);
        assert.throws(() => bob.decrypt(Envelope.decode(bad)), (e) => e instanceof DecodeError || e instanceof DecryptionError, `byte ${i} bit ${bit}`);
      }
    }
    assert.equal(snapshot(bob), before);
    assert.equal(text(bob.decrypt(Envelope.decode(wire))), 'bits');
  });

  test('a tampered message on a new ratchet key leaves the session unchanged', () => {
    const [alice, bob] = makePair().establish();
    bob.decrypt(alice.encrypt(utf8('x')));
    alice.decrypt(bob.encrypt(utf8('y')));
    const genuine = alice.encrypt(utf8('new chain')); // Bob must do a DH ratchet step
    const before = snapshot(bob);
    assert.throws(() => bob.decrypt(tamper(genuine, { ciphertext: flip(genuine.ciphertext, 0) })), DecryptionError);
    assert.equal(snapshot(bob), before);
    assert.equal(text(bob.decrypt(genuine)), 'new chain');
  });

  test('a tampered prekey envelope creates no session; the genuine one does', () => {
    const pair = makePair();
    const genuine = pair.aliceSession.encrypt(utf8('hello'));
    const bad = tamper(genuine, { ciphertext: flip(genuine.ciphertext, 10) });
    assert.throws(() => protocol.acceptSession(pair.bob, pair.spk, pair.opk, bad, { device: BOB }), DecryptionError);
    const { message } = protocol.acceptSession(pair.bob, pair.spk, pair.opk, genuine, { device: BOB });
    assert.equal(text(message), 'hello');
  });
});

describe('replay', () => {
  test('the same envelope twice: ReplayError, state unchanged', () => {
    const [alice, bob] = makePair().establish();
    const e = alice.encrypt(utf8('once'));
    bob.decrypt(e);
    const before = snapshot(bob);
    assert.throws(() => bob.decrypt(e), ReplayError);
    assert.throws(() => bob.decrypt(Envelope.decode(e.encode())), ReplayError);
    assert.equal(snapshot(bob), before);
  });

  test('a message decrypted from a skipped key cannot be replayed', () => {
    const [alice, bob] = makePair().establish();
    const first = alice.encrypt(utf8('1'));
    bob.decrypt(alice.encrypt(utf8('2')));
    bob.decrypt(first);
    assert.throws(() => bob.decrypt(first), ReplayError);
  });

  test('a message from an old chain whose key is gone: DecryptionError', () => {
    const [alice, bob] = makePair().establish();
    const old = alice.encrypt(utf8('old'));
    bob.decrypt(old);
    alice.decrypt(bob.encrypt(utf8('turn')));
    bob.decrypt(alice.encrypt(utf8('new chain')));
    assert.throws(() => bob.decrypt(old), DecryptionError);
  });

  test('the first prekey message cannot open a second session once its OPK is deleted', () => {
    const pair = makePair();
    const e = pair.aliceSession.encrypt(utf8('hello'));
    protocol.acceptSession(pair.bob, pair.spk, pair.opk, e, { device: BOB });
    // The caller deleted the OPK: the header names a prekey Bob no longer holds.
    assert.throws(() => protocol.acceptSession(pair.bob, pair.spk, null, e, { device: BOB }), InvalidKeyError);
  });
});

describe('skipped message keys: bounds', () => {
  const MAX = ratchet.MAX_SKIPPED_PER_CHAIN;

  test('exactly 1000 skipped in one chain is accepted', () => {
    const [alice, bob] = makePair().establish();
    const sent = Array.from({ length: MAX + 1 }, (_, i) => alice.encrypt(utf8(`m${i}`)));
    assert.equal(text(bob.decrypt(sent[MAX])), `m${MAX}`);
    assert.equal(bob.ratchet.skippedCount, MAX);
    assert.equal(text(bob.decrypt(sent[0])), 'm0');
  });

  test('1001 skipped in the current chain: rejected before any work, state unchanged', () => {
    const [alice, bob] = makePair().establish();
    bob.decrypt(alice.encrypt(utf8('start')));
    const sent = Array.from({ length: MAX + 2 }, (_, i) => alice.encrypt(utf8(`m${i}`)));
    const before = snapshot(bob);
    assert.throws(() => bob.decrypt(sent[MAX + 1]), SkippedMessageLimitError);
    assert.equal(snapshot(bob), before);
    assert.equal(text(bob.decrypt(sent[0])), 'm0');
  });

  test('SkippedMessageLimitError is a LimitError and a DecryptionError', () => {
    const error = new SkippedMessageLimitError();
    assert.ok(error instanceof LimitError);
    assert.ok(error instanceof DecryptionError);
    assert.ok(error instanceof CryptoError);
    assert.ok(!(new LimitError() instanceof DecryptionError));
    assert.ok(!(new ReplayError() instanceof LimitError));
  });

  test('a forged n = 2^32 - 1 costs nothing and changes nothing', () => {
    const [alice, bob] = makePair().establish();
    const genuine = alice.encrypt(utf8('x'));
    const h = genuine.header;
    const before = snapshot(bob);
    for (const header of [
      new ratchet.RatchetHeader(h.dh, h.pn, 0xffffffff),
      new ratchet.RatchetHeader(new Uint8Array(32).fill(9), 0, 0xffffffff), // new chain, n too big
      new ratchet.RatchetHeader(new Uint8Array(32).fill(9), 0xffffffff, 0), // new chain, pn too big
    ]) {
      const started = performance.now();
      assert.throws(() => bob.decrypt(tamper(genuine, { header })), SkippedMessageLimitError);
      assert.ok(performance.now() - started < 50);
    }
    assert.equal(snapshot(bob), before);
    assert.equal(text(bob.decrypt(genuine)), 'x');
  });

  test('a new chain needing 1001 keys of the previous chain is rejected', () => {
    const [alice, bob] = makePair().establish();
    bob.decrypt(alice.encrypt(utf8('seen')));
    for (let i = 0; i < MAX + 1; i += 1) alice.encrypt(utf8('lost'));
    // Bob never got those; Alice receives his new ratchet key and sends on a new chain.
    alice.decrypt(bob.encrypt(utf8('turn')));
    const next = alice.encrypt(utf8('new chain'));
    assert.equal(next.header.pn, MAX + 2);
    const before = snapshot(bob);
    assert.throws(() => bob.decrypt(next), SkippedMessageLimitError);
    assert.equal(snapshot(bob), before);
  });

  test('at most 2000 stored: the oldest keys are evicted, the session lives on', () => {
    const [alice, bob] = makePair().establish();
    const chains = [];
    for (let c = 0; c < 3; c += 1) {
      const sent = Array.from({ length: MAX + 1 }, (_, i) => alice.encrypt(utf8(`c${c}m${i}`)));
      assert.equal(text(bob.decrypt(sent[MAX])), `c${c}m${MAX}`);
      chains.push(sent);
      alice.decrypt(bob.encrypt(utf8(`turn ${c}`)));
    }
    assert.equal(bob.ratchet.skippedCount, ratchet.MAX_SKIPPED_TOTAL);
    assert.throws(() => bob.decrypt(chains[0][0]), DecryptionError); // evicted
    assert.equal(text(bob.decrypt(chains[1][0])), 'c1m0');
    assert.equal(text(bob.decrypt(chains[2][999])), 'c2m999');
    assert.equal(text(bob.decrypt(alice.encrypt(utf8('alive')))), 'alive');
  });
});

describe('franking', () => {
  /** An authentic envelope whose commitment does not open to its plaintext. */
  function forgeCommitment(session, payload) {
    const fields = {
      type: 'message', room: session.room, sender: session.device, messageId: 'forged',
      x3dh: null, commitment: new Uint8Array(32).fill(1),
    };
    const { header, ciphertext } = session.ratchet.encrypt(payload, env.envelopeAssociatedData(fields));
    return new Envelope({ ...fields, header, ciphertext });
  }

  test('a wrong commitment: FrankingError, the key is consumed, the session continues', () => {
    const [alice, bob] = makePair().establish();
    const forged = forgeCommitment(alice, new Uint8Array(40));
    assert.throws(() => bob.decrypt(forged), FrankingError);
    assert.throws(() => bob.decrypt(forged), ReplayError);
    assert.equal(text(bob.decrypt(alice.encrypt(utf8('next')))), 'next');
  });

  test('a payload shorter than the franking key: FrankingError', () => {
    const [alice, bob] = makePair().establish();
    assert.throws(() => bob.decrypt(forgeCommitment(alice, new Uint8Array(31))), FrankingError);
  });

  test('the received franking key and plaintext open the commitment', () => {
    const [alice, bob] = makePair().establish();
    const e = alice.encrypt(utf8('report me'));
    const received = bob.decrypt(e);
    protocol.verifyCommitment(received.frankingKey, received.plaintext, e.commitment);
    assert.throws(() => protocol.verifyCommitment(received.frankingKey, utf8('other'), e.commitment), FrankingError);
  });
});

describe('handshake checks', () => {
  test('a bundle with a bad signature is refused', () => {
    const pair = makePair();
    const wire = pair.bundle.toJSON();
    const sig = encoding.b64decode(wire.spk_sig, { field: 's', length: 64, maxLength: 64 });
    const bad = { ...wire, spk_sig: encoding.b64encode(flip(sig, 0)) };
    assert.throws(() => protocol.PreKeyBundle.fromJSON(bad), SignatureError);
    const swapped = { ...wire, spk_id: 2 };
    assert.throws(() => protocol.PreKeyBundle.fromJSON(swapped), SignatureError);
    const unverified = new protocol.PreKeyBundle({ ...pair.bundle, signedPrekeyId: 2 });
    assert.throws(() => protocol.initiateSession(pair.alice, unverified, {
      room: ROOM, device: ALICE, peerDevice: BOB,
    }), SignatureError);
  });

  test('malformed bundles: DecodeError naming the field', () => {
    const wire = makePair().bundle.toJSON();
    const cases = [
      [{ ...wire, extra: 1 }, "bundle: unknown fields ['extra']"],
      [{ ...wire, ik: undefined }, 'bundle.ik: expected a base64url string'],
      [{ ...wire, spk: 'AAAA' }, 'bundle.spk: expected 32 bytes, got 3'],
      [{ ...wire, spk_id: -1 }, 'bundle: key id must be an integer in [0, 2**32)'],
      [{ ...wire, opk_id: undefined }, 'bundle: one_time_prekey and its id go together'],
      [[], 'bundle: expected an object'],
    ];
    for (const [data, message] of cases) {
      assert.throws(() => protocol.PreKeyBundle.fromJSON(JSON.parse(JSON.stringify(data))), { name: 'DecodeError', message });
    }
  });

  test('a signed low-order prekey is refused at X3DH', () => {
    const pair = makePair();
    const spk = new Uint8Array(32); // all zero: low order
    const signature = keys.signWithDomain(pair.bob, keys.SIGNED_PREKEY_DOMAIN, keys.SignedPreKey.signedPayload(5, spk));
    const bundle = new protocol.PreKeyBundle({
      identityKey: pair.bob.publicKey, signedPrekeyId: 5, signedPrekey: spk, signedPrekeySignature: signature,
    });
    bundle.verify();
    assert.throws(() => protocol.initiateSession(pair.alice, bundle, { room: ROOM, device: ALICE, peerDevice: BOB }), InvalidKeyError);
  });

  test('prekey ids must match what Bob holds; a low-order ephemeral key is refused', () => {
    const pair = makePair();
    const e = pair.aliceSession.encrypt(utf8('x'));
    const otherSpk = protocol.SignedPreKey.generate(pair.bob, 2);
    const otherOpk = protocol.OneTimePreKey.generate(10);
    assert.throws(() => protocol.acceptSession(pair.bob, otherSpk, pair.opk, e, { device: BOB }), InvalidKeyError);
    assert.throws(() => protocol.acceptSession(pair.bob, pair.spk, otherOpk, e, { device: BOB }), InvalidKeyError);
    const lowOrder = tamper(e, { x3dh: new protocol.X3DHHeader({ ...e.x3dh, ephemeralKey: new Uint8Array(32) }) });
    assert.throws(() => protocol.acceptSession(pair.bob, pair.spk, pair.opk, lowOrder, { device: BOB }), InvalidKeyError);
    const plain = makePair().establish()[0].encrypt(utf8('x'));
    assert.throws(() => protocol.acceptSession(pair.bob, pair.spk, pair.opk, plain, { device: BOB }), DecodeError);
  });

  test('a new handshake from the peer is recognised', () => {
    const pair = makePair();
    const bob = pair.bobAccepts();
    const again = protocol.initiateSession(pair.alice, pair.bundle, { room: ROOM, device: ALICE, peerDevice: BOB });
    const e = again.encrypt(utf8('restart'));
    assert.equal(bob.isSameHandshake(e.x3dh), false);
    assert.equal(bob.isSameHandshake(pair.aliceSession.handshake), true);
  });
});

describe('persistence', () => {
  test('a restored session continues exactly, skipped keys included', () => {
    const [alice, bob] = makePair().establish();
    const pending = [alice.encrypt(utf8('p0')), alice.encrypt(utf8('p1')), alice.encrypt(utf8('p2'))];
    bob.decrypt(pending[2]);
    const saved = bob.toBytes();
    const restored = protocol.Session.fromBytes(saved);
    assert.deepEqual(restored.toBytes(), saved);
    assert.equal(restored.ratchet.skippedCount, 2);
    assert.equal(text(restored.decrypt(pending[0])), 'p0');
    assert.equal(text(restored.decrypt(pending[1])), 'p1');
    assert.equal(text(alice.decrypt(restored.encrypt(utf8('from restored')))), 'from restored');
    const aliceAgain = protocol.Session.fromBytes(alice.toBytes());
    assert.equal(aliceAgain.awaitingReply, false);
    assert.equal(text(restored.decrypt(aliceAgain.encrypt(utf8('both restored')))), 'both restored');
  });

  test('the state layout is the Python one', () => {
    const pair = makePair();
    const state = JSON.parse(new TextDecoder().decode(pair.aliceSession.toBytes()));
    assert.deepEqual(Object.keys(state), ['awaiting_reply', 'device', 'handshake', 'peer_device', 'peer_ik', 'ratchet', 'room', 'v']);
    assert.deepEqual(Object.keys(state.handshake), ['ek', 'ik', 'opk', 'spk']);
    assert.deepEqual(Object.keys(state.ratchet), ['ad', 'ckr', 'cks', 'dhr', 'dhs', 'nr', 'ns', 'pn', 'rk', 'skipped', 'v']);
    assert.equal(state.ratchet.ckr, null);
  });

  test('malformed states: DecodeError', () => {
    const good = JSON.parse(new TextDecoder().decode(makePair().aliceSession.toBytes()));
    const bytes = (obj) => utf8(JSON.stringify(obj));
    const cases = [
      utf8('not json'),
      new Uint8Array([0xff]),
      bytes({ ...good, v: 2 }),
      bytes({ ...good, handshake: null }),
      bytes({ ...good, awaiting_reply: 1 }),
      bytes({ ...good, room: '' }),
      bytes({ ...good, ratchet: { ...good.ratchet, v: 2 } }),
      bytes({ ...good, ratchet: { ...good.ratchet, ns: -1 } }),
      bytes({ ...good, ratchet: { ...good.ratchet, rk: 'AAAA' } }),
      bytes({ ...good, ratchet: { ...good.ratchet, skipped: [[1, 2]] } }),
      new Uint8Array((1 << 20) + 1),
    ];
    for (const data of cases) assert.throws(() => protocol.Session.fromBytes(data), DecodeError);
  });
});
