// Replays every value of crypto/vectors.json (docs/protocol.md §11) with the JavaScript
// implementation: keys, DH outputs, SK, chain and message keys, nonces, headers, AD,
// ciphertexts, commitments, server tag, signatures, safety number and every envelope byte.
// The last test proves that no value in the file went unchecked.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  deterministicRandom, encoding, fingerprint, franking, hex, keys, primitives as p, protocol,
  ratchet, replayRandom, statements, toHex, utf8, vectors, x3dh,
} from './support/protocol.mjs';

const V = vectors;
const checked = new Set();
// Prose, not values: the description, the encoding note, the rng algorithm's name and the
// delivery order (which the replay below follows step by step).
const PROSE = /^(description|encoding|rng\.algorithm|delivery_order\[\d+\])$/;
// Tables with suites of their own, each checking every case: envelope.test.mjs replays
// `envelope_rejections`, transcript.test.mjs replays `relay` (its client frames that a client
// does not build are the server parser's business: tests/unit/crypto/test_relay_transcript.py).
const ELSEWHERE = /^(envelope_rejections|relay)[.[]/;

function lookup(path) {
  return path.split('.').reduce((node, part) => {
    const m = /^(.+)\[(\d+)\]$/.exec(part);
    return m ? node[m[1]][Number(m[2])] : node[part];
  }, V);
}

/** Assert `actual` (bytes are compared as hex) equals the vector at `path`; count it. */
function expectVector(path, actual) {
  const expected = lookup(path);
  assert.notEqual(expected, undefined, `no vector at ${path}`);
  assert.deepEqual(actual instanceof Uint8Array ? toHex(actual) : actual, expected, path);
  checked.add(path);
}

const state = (s) => s.ratchet.toState();
const b64 = (text) => encoding.b64decode(text, { field: 'state', maxLength: 1 << 16 });

/** The scripted conversation of crypto/vectors.py, recording what the checks need. */
function converse(rngA, rngB) {
  const room = V.franking.room;
  const alice = protocol.IdentityKeyPair.generate(rngA);
  const bob = protocol.IdentityKeyPair.generate(rngB);
  const spk = protocol.SignedPreKey.generate(bob, V.bob.signed_prekey.id, rngB);
  const opk = protocol.OneTimePreKey.generate(V.bob.one_time_prekey.id, rngB);
  const bundle = protocol.PreKeyBundle.create(bob, spk, opk);
  const sessionA = protocol.initiateSession(alice, bundle, {
    room, device: V.alice.device, peerDevice: V.bob.device, rng: rngA,
  });
  const initialA = state(sessionA);
  const sent = [];
  const send = (session, index) => {
    const before = state(session);
    const envelope = session.encrypt(utf8(V.messages[index].plaintext));
    sent[index] = { before, after: state(session), envelope, ad: session.ratchet.associatedData };
    return envelope;
  };
  const steps = [];
  const received = [];

  const e0 = send(sessionA, 0);
  const e1 = send(sessionA, 1);
  // delivery_order[0]: Bob receives message 1 first; it creates his session.
  const accepted = protocol.acceptSession(bob, spk, opk, e1, { device: V.bob.device, rng: rngB });
  const sessionB = accepted.session;
  received[1] = accepted.message;
  steps.push({
    before: { dhs: encoding.b64encode(spk.keyPair.privateKey), rk: null },
    after: state(sessionB),
    remote: e1.header.dh,
  });
  const skippedAfterAccept = sessionB.ratchet.skippedCount;
  // delivery_order[1]: message 0 from the skipped key.
  received[0] = sessionB.decrypt(e0);
  const e2 = send(sessionB, 2);
  const e3 = send(sessionB, 3);
  // delivery_order[2]: Alice receives messages 2 and 3.
  let before = state(sessionA);
  received[2] = sessionA.decrypt(e2);
  steps.push({ before, after: state(sessionA), remote: e2.header.dh });
  received[3] = sessionA.decrypt(e3);
  const e4 = send(sessionA, 4);
  // delivery_order[3]: Bob receives message 4.
  before = state(sessionB);
  received[4] = sessionB.decrypt(e4);
  steps.push({ before, after: state(sessionB), remote: e4.header.dh });
  return {
    alice, bob, spk, opk, bundle, sessionA, sessionB, initialA, sent, steps, received,
    skippedAfterAccept, drawsA: rngA.draws,
  };
}

const run = converse(
  deterministicRandom(V.rng.alice_label), deterministicRandom(V.rng.bob_label),
);

test('constants', () => {
  expectVector('constants.x3dh_info', x3dh.X3DH_INFO);
  expectVector('constants.ratchet_info', ratchet.RATCHET_INFO);
  expectVector('constants.message_key_info', ratchet.MESSAGE_KEY_INFO);
  expectVector('constants.signed_prekey_domain', keys.SIGNED_PREKEY_DOMAIN);
  expectVector('constants.server_tag_domain', franking.SERVER_TAG_DOMAIN);
});

test('deterministic randomness: every draw of both parties, in order', () => {
  const rngA = deterministicRandom(V.rng.alice_label);
  const rngB = deterministicRandom(V.rng.bob_label);
  converse(rngA, rngB);
  expectVector('rng.alice_label', V.rng.alice_label);
  expectVector('rng.bob_label', V.rng.bob_label);
  assert.equal(rngA.draws.length, V.rng_draws.alice.length);
  assert.equal(rngB.draws.length, V.rng_draws.bob.length);
  rngA.draws.forEach((draw, i) => expectVector(`rng_draws.alice[${i}]`, draw));
  rngB.draws.forEach((draw, i) => expectVector(`rng_draws.bob[${i}]`, draw));
});

test('replaying the recorded draws gives the same envelopes and uses every draw', () => {
  const rngA = replayRandom(V.rng_draws.alice);
  const rngB = replayRandom(V.rng_draws.bob);
  const again = converse(rngA, rngB);
  assert.equal(rngA.remaining(), 0);
  assert.equal(rngB.remaining(), 0);
  again.sent.forEach(({ envelope }, i) => {
    assert.equal(new TextDecoder().decode(envelope.encode()), V.messages[i].envelope);
  });
});

test('identities', () => {
  for (const [name, identity] of [['alice', run.alice], ['bob', run.bob]]) {
    expectVector(`${name}.device`, name === 'alice' ? run.sessionA.device : run.sessionB.device);
    expectVector(`${name}.ed25519_seed`, identity.seed);
    const fromSeed = new protocol.IdentityKeyPair(hex(V[name].ed25519_seed));
    expectVector(`${name}.ed25519_public`, fromSeed.publicKey);
    expectVector(`${name}.x25519_private`, fromSeed.dhPrivateKey);
    expectVector(`${name}.x25519_public`, fromSeed.dhPublicKey);
    assert.equal(toHex(p.x25519Public(fromSeed.dhPrivateKey)), V[name].x25519_public);
  }
});

test("Bob's signed prekey, one-time prekey and bundle", () => {
  const { spk, opk, bob } = run;
  expectVector('bob.signed_prekey.id', spk.keyId);
  expectVector('bob.signed_prekey.private', spk.keyPair.privateKey);
  expectVector('bob.signed_prekey.public', p.x25519Public(hex(V.bob.signed_prekey.private)));
  const signed = keys.domainMessage(
    keys.SIGNED_PREKEY_DOMAIN, keys.SignedPreKey.signedPayload(spk.keyId, spk.publicKey),
  );
  expectVector('bob.signed_prekey.signed_message', signed);
  expectVector('bob.signed_prekey.signature', spk.signature);
  expectVector('bob.signed_prekey.signature', bob.sign(hex(V.bob.signed_prekey.signed_message)));
  protocol.verifySignature(
    hex(V.bob.ed25519_public), hex(V.bob.signed_prekey.signed_message),
    hex(V.bob.signed_prekey.signature),
  );
  expectVector('bob.one_time_prekey.id', opk.keyId);
  expectVector('bob.one_time_prekey.private', opk.keyPair.privateKey);
  expectVector('bob.one_time_prekey.public', p.x25519Public(hex(V.bob.one_time_prekey.private)));

  const wire = run.bundle.toJSON();
  for (const field of Object.keys(V.bob.bundle)) expectVector(`bob.bundle.${field}`, wire[field]);
  assert.deepEqual(Object.keys(wire).sort(), Object.keys(V.bob.bundle).sort());
  const parsed = protocol.PreKeyBundle.fromJSON(V.bob.bundle);
  assert.equal(toHex(parsed.identityKey), V.bob.ed25519_public);
  assert.equal(toHex(parsed.oneTimePrekey), V.bob.one_time_prekey.public);
});

test('X3DH: ephemeral key, DH1-DH4, IKM, SK, AD, header — both sides agree', () => {
  const ek = hex(V.x3dh.ephemeral_private);
  expectVector('x3dh.ephemeral_private', run.drawsA[1]); // what initiateSession drew for EK
  expectVector('x3dh.ephemeral_public', p.x25519Public(ek));
  expectVector('x3dh.ephemeral_public', run.sessionA.handshake.ephemeralKey);
  const alice = new protocol.IdentityKeyPair(hex(V.alice.ed25519_seed));
  const bob = new protocol.IdentityKeyPair(hex(V.bob.ed25519_seed));
  const spk = hex(V.bob.signed_prekey.private);
  const opk = hex(V.bob.one_time_prekey.private);
  const ekPub = p.x25519Public(ek);
  const initiator = [
    p.x25519(alice.dhPrivateKey, p.x25519Public(spk)),
    p.x25519(ek, bob.dhPublicKey),
    p.x25519(ek, p.x25519Public(spk)),
    p.x25519(ek, p.x25519Public(opk)),
  ];
  const responder = [
    p.x25519(spk, alice.dhPublicKey),
    p.x25519(bob.dhPrivateKey, ekPub),
    p.x25519(spk, ekPub),
    p.x25519(opk, ekPub),
  ];
  initiator.forEach((dh, i) => {
    expectVector(`x3dh.dh${i + 1}`, dh);
    expectVector(`x3dh.dh${i + 1}`, responder[i]);
  });
  expectVector('x3dh.ikm', encoding.concat(new Uint8Array(32).fill(0xff), ...initiator));
  expectVector('x3dh.shared_key', x3dh.deriveSharedKey(initiator));

  const result = x3dh.x3dhInitiate(alice, run.bundle, () => ek);
  expectVector('x3dh.shared_key', result.sharedKey);
  expectVector('x3dh.associated_data', result.associatedData);
  expectVector('x3dh.header', result.header.toBytes());
  expectVector('x3dh.header', run.sessionA.handshake.toBytes());
  const answer = x3dh.x3dhRespond(bob, run.spk, run.opk, result.header);
  expectVector('x3dh.shared_key', answer.sharedKey);
  expectVector('x3dh.associated_data', answer.associatedData);
});

test("initiator's first ratchet key and root/sending chain keys", () => {
  const priv = hex(V.initiator_ratchet.ratchet_private);
  expectVector('initiator_ratchet.ratchet_public', p.x25519Public(priv));
  const dh = p.x25519(priv, hex(V.bob.signed_prekey.public));
  expectVector('initiator_ratchet.dh', dh);
  const [rk, ck] = ratchet.kdfRk(hex(V.x3dh.shared_key), dh);
  expectVector('initiator_ratchet.root_key', rk);
  expectVector('initiator_ratchet.sending_chain_key', ck);
  expectVector('initiator_ratchet.root_key', b64(run.initialA.rk));
  expectVector('initiator_ratchet.sending_chain_key', b64(run.initialA.cks));
  expectVector('initiator_ratchet.ratchet_private', b64(run.initialA.dhs));
});

V.messages.forEach((m, i) => {
  test(`message ${i}: keys, nonce, franking, header, AD, ciphertext, envelope`, () => {
    const at = (field) => `messages[${i}].${field}`;
    const { before, after, envelope, ad } = run.sent[i];
    expectVector(at('sender'), envelope.sender);
    expectVector(at('message_id'), envelope.messageId);
    expectVector(at('sending_ratchet_private'), b64(before.dhs));
    expectVector(at('chain_key'), b64(before.cks));
    const [next, mk] = ratchet.kdfCk(hex(m.chain_key));
    expectVector(at('next_chain_key'), next);
    expectVector(at('next_chain_key'), b64(after.cks));
    expectVector(at('message_key'), mk);
    const [key, nonce] = ratchet.messageCipherParams(mk);
    expectVector(at('aead_key'), key);
    expectVector(at('aead_nonce'), nonce);
    expectVector(at('header'), envelope.header.toBytes());
    expectVector(at('envelope_ad'), envelope.associatedData());
    const aeadAd = encoding.concat(ad, envelope.header.toBytes(), envelope.associatedData());
    expectVector(at('aead_ad'), aeadAd);
    expectVector(at('ciphertext'), envelope.ciphertext);
    const payload = p.aeadDecrypt(key, nonce, envelope.ciphertext, aeadAd);
    expectVector(at('aead_plaintext'), payload);
    expectVector(at('franking_key'), payload.subarray(0, 32));
    expectVector(at('plaintext'), new TextDecoder().decode(payload.subarray(32)));
    expectVector(at('commitment'), envelope.commitment);
    expectVector(at('commitment'), franking.commit(hex(m.franking_key), utf8(m.plaintext)));
    expectVector(at('ciphertext'), p.aeadEncrypt(key, nonce, hex(m.aead_plaintext), hex(m.aead_ad)));
    expectVector(at('envelope'), new TextDecoder().decode(envelope.encode()));
    const decoded = protocol.Envelope.decode(m.envelope);
    assert.equal(new TextDecoder().decode(decoded.encode()), m.envelope);
    assert.equal(toHex(decoded.associatedData()), m.envelope_ad);
    // ... and the recipient decrypted it to the same plaintext and franking key.
    const got = run.received[i];
    assert.equal(new TextDecoder().decode(got.plaintext), m.plaintext);
    assert.equal(toHex(got.frankingKey), m.franking_key);
    assert.equal(got.messageId, m.message_id);
  });
});

test('delivery order: Bob stored exactly one skipped key, then used it', () => {
  assert.equal(run.skippedAfterAccept, 1);
  assert.equal(run.sessionB.ratchet.skippedCount, 0);
});

V.ratchet_steps.forEach((step, i) => {
  test(`receiver-side DH ratchet step ${i} (${step.receiver}, message ${step.on_message})`, () => {
    const at = (field) => `ratchet_steps[${i}].${field}`;
    const { before, after, remote } = run.steps[i];
    const receiver = step.receiver === V.bob.device ? run.sessionB : run.sessionA;
    expectVector(at('receiver'), receiver.device);
    expectVector(at('on_message'), [1, 2, 4][i]);
    expectVector(at('remote_ratchet_public'), remote);
    expectVector(at('remote_ratchet_public'), run.sent[step.on_message].envelope.header.dh);
    const rootBefore = before.rk === null ? hex(V.x3dh.shared_key) : b64(before.rk);
    expectVector(at('root_key_before'), rootBefore);
    const dhReceiving = p.x25519(b64(before.dhs), remote);
    expectVector(at('dh_receiving'), dhReceiving);
    const [mid, receivingChain] = ratchet.kdfRk(rootBefore, dhReceiving);
    expectVector(at('root_key_mid'), mid);
    expectVector(at('receiving_chain_key'), receivingChain);
    const fresh = b64(after.dhs);
    expectVector(at('new_ratchet_private'), fresh);
    expectVector(at('new_ratchet_public'), p.x25519Public(fresh));
    const dhSending = p.x25519(fresh, remote);
    expectVector(at('dh_sending'), dhSending);
    const [rootAfter, sendingChain] = ratchet.kdfRk(mid, dhSending);
    expectVector(at('root_key_after'), rootAfter);
    expectVector(at('root_key_after'), b64(after.rk));
    expectVector(at('sending_chain_key'), sendingChain);
    expectVector(at('sending_chain_key'), b64(after.cks));
  });
});

test('franking: server tag input and tag; the report verifies', () => {
  const f = V.franking;
  const secret = hex(f.server_secret);
  expectVector('franking.server_secret', encoding.fromHex(f.server_secret));
  expectVector('franking.commitment', run.sent[4].envelope.commitment);
  expectVector('franking.room', run.sessionA.room);
  expectVector('franking.sender', run.sessionA.device);
  expectVector('franking.recipient', run.sessionB.device);
  expectVector('franking.timestamp_ms', 1764115200000);
  const args = [hex(f.commitment), f.room, f.sender, f.recipient, f.timestamp_ms];
  expectVector('franking.tag_input', franking.serverTagInput(...args));
  expectVector('franking.tag', franking.serverTag(secret, ...args));
  const report = {
    plaintext: run.received[4].plaintext, frankingKey: run.received[4].frankingKey,
    tag: hex(f.tag), room: f.room, sender: f.sender, recipient: f.recipient,
    timestampMs: f.timestamp_ms,
  };
  franking.verifyReport(secret, report);
  assert.throws(() => franking.verifyReport(secret, { ...report, timestampMs: f.timestamp_ms + 1 }),
    protocol.ReportError);
});

test('domain-separated signature', () => {
  const d = V.domain_signature;
  const alice = new protocol.IdentityKeyPair(hex(V.alice.ed25519_seed));
  expectVector('domain_signature.public_key', alice.publicKey);
  expectVector('domain_signature.domain', 'peerhaven/v1/example');
  expectVector('domain_signature.payload', utf8('server nonce 0123456789'));
  expectVector('domain_signature.signed_message', keys.domainMessage(d.domain, hex(d.payload)));
  expectVector('domain_signature.signature', protocol.signWithDomain(alice, d.domain, hex(d.payload)));
  protocol.verifyWithDomain(hex(d.public_key), d.domain, hex(d.payload), hex(d.signature));
  assert.throws(() => protocol.verifyWithDomain(
    hex(d.public_key), 'peerhaven/v1/other', hex(d.payload), hex(d.signature),
  ), protocol.SignatureError);
});

test('safety number', () => {
  const s = V.safety_number;
  const a = hex(V.alice.ed25519_public);
  const b = hex(V.bob.ed25519_public);
  expectVector('safety_number.alice_fingerprint', fingerprint.displayableFingerprint(a, V.alice.device));
  expectVector('safety_number.bob_fingerprint', fingerprint.displayableFingerprint(b, V.bob.device));
  expectVector('safety_number.number', protocol.safetyNumber(a, V.alice.device, b, V.bob.device));
  expectVector('safety_number.number', protocol.safetyNumber(b, V.bob.device, a, V.alice.device));
  expectVector('safety_number.display', protocol.formatSafetyNumber(s.number));
});

test('signed statements: labels, exact bytes, signatures (protocol.md §12)', () => {
  const S = V.statements;
  expectVector('statements.labels.register', statements.REGISTER_LABEL);
  expectVector('statements.labels.login', statements.LOGIN_LABEL);
  expectVector('statements.labels.room_identity_domain', statements.ROOM_IDENTITY_DOMAIN);
  const reg = S.registration;
  const log = S.login;
  const room = S.room_identity;
  expectVector('statements.registration.origin', reg.origin);
  expectVector('statements.registration.invite_code', reg.invite_code);
  expectVector('statements.registration.statement', statements.registrationStatement({
    origin: reg.origin, inviteCode: reg.invite_code, identityKey: hex(reg.identity_key) }));
  expectVector('statements.login.origin', log.origin);
  expectVector('statements.login.nonce', log.nonce);
  expectVector('statements.login.statement', statements.loginStatement({
    origin: log.origin, nonce: hex(log.nonce), identityKey: hex(log.identity_key) }));
  for (const name of ['origin', 'room_id', 'member_id', 'room_key']) {
    expectVector(`statements.room_identity.${name}`, room[name]);
  }
  expectVector('statements.room_identity.statement', statements.roomIdentityStatement({
    origin: room.origin, roomId: room.room_id, memberId: room.member_id,
    roomKey: hex(room.room_key) }));
  const alice = new protocol.IdentityKeyPair(hex(V.alice.ed25519_seed));
  expectVector('statements.signer', alice.publicKey);
  for (const name of ['registration', 'login', 'room_identity']) {
    expectVector(`statements.${name}.signature`, alice.sign(hex(S[name].statement)));
    statements.verifyStatement(alice.publicKey, hex(S[name].statement), hex(S[name].signature));
    assert.throws(() => statements.verifyStatement(alice.publicKey,
      flipFirst(hex(S[name].statement)), hex(S[name].signature)), protocol.SignatureError);
  }
  expectVector('statements.registration.identity_key', alice.publicKey);
  expectVector('statements.login.identity_key', alice.publicKey);
  S.invite_codes.forEach((c, i) => {
    expectVector(`statements.invite_codes[${i}].input`, c.input);
    expectVector(`statements.invite_codes[${i}].normalised`, statements.normaliseInviteCode(c.input));
  });
});

function flipFirst(bytes) {
  const out = Uint8Array.from(bytes);
  out[0] ^= 1;
  return out;
}

test('every value in crypto/vectors.json was replayed', (t) => {
  const leaves = [];
  const walk = (node, path) => {
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${path}[${i}]`));
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) walk(value, path ? `${path}.${key}` : key);
    } else leaves.push(path);
  };
  walk(V, '');
  const values = leaves.filter((path) => !PROSE.test(path) && !ELSEWHERE.test(path));
  const missed = values.filter((path) => !checked.has(path));
  assert.deepEqual(missed, [], 'vector values not replayed');
  const elsewhere = leaves.filter((path) => ELSEWHERE.test(path)).length;
  t.diagnostic(`replayed ${checked.size} of ${values.length} vector values`
    + ` (${leaves.length - values.length - elsewhere} prose fields, ${elsewhere} in tables`
    + ' replayed by their own suites)');
});
