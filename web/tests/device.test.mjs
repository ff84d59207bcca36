// The device signs its own page's origin, never the one a challenge names (issue 12, item 3):
// a host relaying to the real server must not obtain a login that works there.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { encoding, keys, statements } from './support/protocol.mjs';

const { Device, OriginMismatch } = await import(new URL('../app/device.js', import.meta.url).href);

const ORIGIN = 'https://peerhaven.example';
const NONCE = encoding.b64encode(new Uint8Array(32).fill(7));

function fakeApi(origin) {
  const calls = [];
  return {
    calls,
    async challenge(key) {
      calls.push(['challenge', key]);
      return { challenge_id: 'c1', nonce: NONCE, origin };
    },
    async login(body) {
      calls.push(['login', body]);
      return { token: 't', me: { role: 'clinician', account_id: 'a' } };
    },
    async register(body) {
      calls.push(['register', body]);
      return { account_id: 'a', role: 'clinician' };
    },
  };
}
const fakeVault = () => ({ async put() {} });

for (const claimed of ['https://real-server.example', `${ORIGIN}/`, '', undefined]) {
  test(`login refuses a challenge for ${JSON.stringify(claimed)} and signs nothing`, async () => {
    const device = new Device(keys.IdentityKeyPair.generate(), {}, ORIGIN);
    const api = fakeApi(claimed);
    await assert.rejects(device.login(api), OriginMismatch);
    assert.deepEqual(api.calls.map(([name]) => name), ['challenge']);
    assert.equal(api.token, undefined);
  });
}

test('registration refuses a challenge for another origin and signs nothing', async () => {
  const device = new Device(keys.IdentityKeyPair.generate(), {}, ORIGIN);
  const api = fakeApi('https://real-server.example');
  await assert.rejects(device.register(api, fakeVault(), 'CODE'), (error) => {
    assert.ok(error instanceof OriginMismatch);
    assert.ok(!error.message.includes('real-server'), 'the message quotes no origin');
    return true;
  });
  assert.deepEqual(api.calls.map(([name]) => name), ['challenge']);
});

test('login and registration sign the page origin', async () => {
  const identity = keys.IdentityKeyPair.generate();
  const device = new Device(identity, {}, ORIGIN);
  const api = fakeApi(ORIGIN);
  await device.register(api, fakeVault(), ' CODE ');
  await device.login(api);
  const body = (name) => api.calls.find(([n]) => n === name)[1];
  const sig = (b) => encoding.b64decode(b.signature, { field: 'sig', length: 64, maxLength: 64 });
  keys.verifySignature(identity.publicKey, statements.registrationStatement({
    origin: ORIGIN, inviteCode: 'CODE', identityKey: identity.publicKey }), sig(body('register')));
  keys.verifySignature(identity.publicKey, statements.loginStatement({
    origin: ORIGIN, nonce: encoding.b64decode(NONCE, { field: 'n', maxLength: 64 }),
    identityKey: identity.publicKey }), sig(body('login')));
  assert.equal(device.origin, ORIGIN);
});

test('without a page origin nothing is signed', async () => {
  const device = new Device(keys.IdentityKeyPair.generate(), {}, null);
  await assert.rejects(device.login(fakeApi('null')), OriginMismatch);
});
