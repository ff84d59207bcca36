// Keys and secrets hygiene: no secret in toString, JSON or util.inspect; key id checks.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';

import { makePair } from './support/pair.mjs';
import { encoding, keys, protocol, toHex, utf8 } from './support/protocol.mjs';

const { InvalidKeyError } = protocol;

function assertHidden(object, secrets) {
  const shown = [String(object), JSON.stringify(object), inspect(object, { depth: 10, showHidden: true })];
  for (const secret of secrets) {
    for (const form of [toHex(secret), encoding.b64encode(secret), toHex(secret.subarray(0, 8))]) {
      for (const text of shown) assert.ok(!text.includes(form), `secret shown in ${text}`);
    }
  }
}

test('identity, prekeys, sessions and messages never show secret bytes', () => {
  const pair = makePair();
  const [alice, bob] = pair.establish();
  const e = alice.encrypt(utf8('do not print me'));
  const received = bob.decrypt(e);
  assertHidden(pair.alice, [pair.alice.seed, pair.alice.dhPrivateKey]);
  assertHidden(pair.spk, [pair.spk.keyPair.privateKey]);
  assertHidden(pair.spk.keyPair, [pair.spk.keyPair.privateKey]);
  assertHidden(pair.opk, [pair.opk.keyPair.privateKey]);
  const state = JSON.parse(new TextDecoder().decode(bob.toBytes())).ratchet;
  const secrets = ['rk', 'dhs', 'cks', 'ckr'].map((k) => encoding.b64decode(state[k], { field: k, maxLength: 32 }));
  assertHidden(bob, secrets);
  assertHidden(bob.ratchet, secrets);
  assertHidden(received, [received.frankingKey]);
  for (const text of [String(received), JSON.stringify(received), inspect(received)]) {
    assert.ok(!text.includes('do not print me'));
  }
  assert.match(String(pair.alice), /^IdentityKeyPair\(publicKey=[0-9a-f]{8}…\)$/);
});

test('key objects are immutable and copy their secrets', () => {
  const seed = new Uint8Array(32).fill(3);
  const identity = new protocol.IdentityKeyPair(seed);
  seed.fill(0);
  assert.deepEqual(identity.seed, new Uint8Array(32).fill(3));
  identity.seed.fill(9);
  assert.deepEqual(identity.seed, new Uint8Array(32).fill(3));
  assert.throws(() => { identity.publicKey = null; }, TypeError);
});

test('key ids must be integers in [0, 2**32)', () => {
  const identity = protocol.IdentityKeyPair.generate();
  for (const bad of [-1, 2 ** 32, 1.5, '1', true, null, 1n]) {
    assert.throws(() => protocol.SignedPreKey.generate(identity, bad), InvalidKeyError);
    assert.throws(() => protocol.OneTimePreKey.generate(bad), InvalidKeyError);
  }
  assert.equal(protocol.OneTimePreKey.generate(2 ** 32 - 1).keyId, 2 ** 32 - 1);
});

test('bundle constructor checks lengths and the OPK pairing', () => {
  const pair = makePair();
  const good = { ...pair.bundle };
  assert.throws(() => new protocol.PreKeyBundle({ ...good, identityKey: new Uint8Array(31) }), InvalidKeyError);
  assert.throws(() => new protocol.PreKeyBundle({ ...good, signedPrekeySignature: new Uint8Array(63) }), InvalidKeyError);
  assert.throws(() => new protocol.PreKeyBundle({ ...good, oneTimePrekey: null }), InvalidKeyError);
  assert.throws(() => new protocol.PreKeyBundle({ ...good, oneTimePrekey: new Uint8Array(5) }), InvalidKeyError);
  const withoutOpk = new protocol.PreKeyBundle({ ...good, oneTimePrekey: null, oneTimePrekeyId: null });
  assert.deepEqual(Object.keys(withoutOpk.toJSON()), ['ik', 'spk_id', 'spk', 'spk_sig']);
  withoutOpk.verify();
});

test('signatures are domain-separated', () => {
  const identity = protocol.IdentityKeyPair.generate();
  const payload = utf8('payload');
  const sig = keys.signWithDomain(identity, 'peerhaven/v1/a', payload);
  keys.verifyWithDomain(identity.publicKey, 'peerhaven/v1/a', payload, sig);
  assert.throws(() => keys.verifyWithDomain(identity.publicKey, 'peerhaven/v1/b', payload, sig), protocol.SignatureError);
  assert.throws(() => keys.verifySignature(identity.publicKey, payload, sig), protocol.SignatureError);
  assert.throws(() => keys.domainMessage('', payload), TypeError);
  assert.deepEqual(keys.domainMessage(utf8('d'), payload), keys.domainMessage('d', payload));
});
