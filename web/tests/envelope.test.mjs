// The strict envelope decoder (docs/protocol.md §6): every error, with the Python messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makePair } from './support/pair.mjs';
import { encoding, hex, protocol, utf8, vectors } from './support/protocol.mjs';

const { DecodeError, Envelope, MAX_ENVELOPE_BYTES } = protocol;
const { b64encode } = encoding;

const prekeyJson = () => makePair().aliceSession.encrypt(utf8('hello')).toJSON();

/** The DecodeError `Envelope.decode(wire)` throws. */
function rejects(wire) {
  try {
    Envelope.decode(wire);
  } catch (error) {
    assert.ok(error instanceof DecodeError, `${error}`);
    return error;
  }
  return assert.fail('decoded without error');
}

test('round trip, bytes and text', () => {
  const wire = encoding.canonicalJson(prekeyJson());
  const envelope = Envelope.decode(wire);
  assert.equal(envelope.type, 'prekey');
  assert.deepEqual(envelope.encode(), wire);
  assert.deepEqual(Envelope.decode(new TextDecoder().decode(wire)).encode(), wire);
});

test('canonical layout', () => {
  const wire = new TextDecoder().decode(encoding.canonicalJson(prekeyJson()));
  assert.ok(wire.startsWith('{"commit":"') && !wire.includes(' '));
  const keys = Object.keys(JSON.parse(wire));
  assert.deepEqual(keys, [...keys].sort());
});

// The one rejection table (crypto/rejections.py), replayed here and by
// tests/unit/crypto/test_envelope.py: the same error class and exactly the same message.
/** What an `input` object of the table stands for: a string for `{string}`, else bytes. */
function inputBytes(spec) {
  if ('string' in spec) return spec.string; // may hold a lone surrogate
  if ('hex' in spec) return hex(spec.hex);
  if ('repeat' in spec) return utf8(`${spec.prefix ?? ''}${spec.repeat.repeat(spec.times)}${spec.suffix ?? ''}`);
  return utf8(spec.text);
}

for (const c of vectors.envelope_rejections) {
  test(`decoder rejects: ${c.name}`, () => {
    assert.equal(c.error, 'DecodeError');
    const error = rejects(inputBytes(c.input));
    assert.equal(error.message, c.message);
  });
}

test('the rejection table is all there', () => {
  assert.ok(vectors.envelope_rejections.length >= 60);
  assert.ok(vectors.envelope_rejections.some((c) => c.input.string === '\ud800'));
  assert.ok(vectors.envelope_rejections.some((c) => c.message === `envelope: larger than ${MAX_ENVELOPE_BYTES} bytes`));
});

test('oversized ciphertext is rejected', () => {
  const obj = prekeyJson();
  obj.ct = b64encode(new Uint8Array(65536 + 49));
  assert.throws(() => Envelope.decode(encoding.canonicalJson(obj)), { message: 'ct: not unpadded base64url or too long' });
});

test('the largest legal envelope fits the wire limit', () => {
  const obj = prekeyJson();
  obj.ct = b64encode(new Uint8Array(65584));
  obj.room = 'r'.repeat(64);
  obj.sender = 's'.repeat(64);
  obj.id = 'i'.repeat(64);
  const wire = encoding.canonicalJson(obj);
  assert.ok(wire.length <= MAX_ENVELOPE_BYTES);
  assert.equal(Envelope.decode(wire).ciphertext.length, 65584);
});

test('not bytes or text', () => {
  assert.throws(() => Envelope.decode(42), { name: 'DecodeError', message: 'envelope: expected bytes or str' });
});
