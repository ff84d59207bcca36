// Sealed reports (docs/protocol.md §14) replay crypto/report_vectors.json byte for byte, open
// with each moderator key, and fail plainly when altered, moved or not ours.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  encoding, franking, hex, keys, primitives, protocol, replayRandom, report, reportVectors as v,
  toHex, utf8,
} from './support/protocol.mjs';

const { DecryptionError } = protocol;

function vectorReport() {
  const f = v.franking;
  return {
    category: v.report.category,
    note: v.report.note,
    messages: [{
      id: JSON.parse(v.report.body).messages[0].id, sender: f.sender,
      plaintext: utf8(f.plaintext_utf8), frankingKey: hex(f.franking_key), tag: hex(f.tag),
    }],
  };
}

test('the body, associated data and sealed report replay the Python vectors', () => {
  const body = report.reportToBytes(vectorReport());
  assert.equal(new TextDecoder().decode(body), v.report.body);
  assert.equal(toHex(report.reportAssociatedData(v.room, 'crisis')), v.report.associated_data);
  const sealed = report.sealReport(vectorReport(), {
    room: v.room, recipients: v.moderators.map((m) => hex(m.x25519_public)),
    rng: replayRandom(v.rng),
  });
  assert.equal(sealed, v.sealed);
});

test('each moderator opens it, and the franking commitment recomputes', () => {
  for (const m of v.moderators) {
    const opened = report.openReport(v.sealed, { room: v.room, category: 'crisis',
      publicKey: hex(m.x25519_public), privateKey: hex(m.x25519_private) });
    assert.equal(opened.note, v.report.note);
    const [message] = opened.messages;
    assert.equal(toHex(franking.commit(message.frankingKey, message.plaintext)),
      v.franking.commitment);
  }
});

test('the report key registration is signed over the same bytes', () => {
  const r = v.report_key_registration;
  const payload = report.reportKeyPayload(r.origin, hex(v.moderators[0].x25519_public));
  assert.equal(toHex(keys.domainMessage(report.REPORT_KEY_DOMAIN, payload)), r.signed_message);
  keys.verifySignature(hex(r.device_public), hex(r.signed_message), hex(r.signature));
});

test('another key, another room or category, or a flipped byte: DecryptionError', () => {
  const m = v.moderators[0];
  const mine = { publicKey: hex(m.x25519_public), privateKey: hex(m.x25519_private) };
  const stranger = primitives.randomBytes(32);
  assert.throws(() => report.openReport(v.sealed, { room: v.room, category: 'crisis',
    publicKey: primitives.x25519Public(stranger), privateKey: stranger }), DecryptionError);
  assert.throws(() => report.openReport(v.sealed, { room: 'other', category: 'crisis', ...mine }),
    DecryptionError);
  assert.throws(() => report.openReport(v.sealed, { room: v.room, category: 'other', ...mine }),
    DecryptionError);
  const wire = JSON.parse(v.sealed);
  const ct = encoding.b64decode(wire.ciphertext, { field: 'ct', maxLength: 1 << 20 });
  ct[3] ^= 1;
  wire.ciphertext = encoding.b64encode(ct);
  assert.throws(() => report.openReport(JSON.stringify(wire),
    { room: v.room, category: 'crisis', ...mine }), DecryptionError);
});

test('a fresh report round-trips with random keys', () => {
  const secret = primitives.randomBytes(32);
  const pub = primitives.x25519Public(secret);
  const wire = report.sealReport({ category: 'harassment', note: 'ünïcode note', messages: [] },
    { room: 'r', recipients: [pub] });
  const opened = report.openReport(wire,
    { room: 'r', category: 'harassment', publicKey: pub, privateKey: secret });
  assert.equal(opened.note, 'ünïcode note');
});
