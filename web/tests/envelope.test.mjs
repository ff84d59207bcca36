// The strict envelope decoder (docs/protocol.md §6): every error, with the Python messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makePair } from './support/pair.mjs';
import { encoding, protocol, utf8 } from './support/protocol.mjs';

const { DecodeError, Envelope, MAX_ENVELOPE_BYTES } = protocol;
const { b64encode } = encoding;

const prekeyJson = () => makePair().aliceSession.encrypt(utf8('hello')).toJSON();
/** Like Python's json.dumps(sort_keys=True, separators=(",", ":")), floats allowed. */
const dumps = (obj) => {
  if (Array.isArray(obj)) return `[${obj.map(dumps).join(',')}]`;
  if (obj !== null && typeof obj === 'object') {
    return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${dumps(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(obj);
};
const set = (path, value) => (obj) => {
  const parts = path.split('.');
  const last = parts.pop();
  parts.reduce((node, part) => node[part], obj)[last] = value;
};
const del = (path) => (obj) => {
  const parts = path.split('.');
  const last = parts.pop();
  delete parts.reduce((node, part) => node[part], obj)[last];
};

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

const CASES = [
  ['unknown version', set('v', 2), 'unsupported version 2'],
  ['version as string', set('v', '1'), "unsupported version '1'"],
  ['version as bool', set('v', true), 'unsupported version True'],
  ['version as null', set('v', null), 'unsupported version None'],
  ['missing version', del('v'), "missing version field 'v'"],
  ['missing ciphertext', del('ct'), "missing fields ['ct']"],
  ['unknown field', set('extra', 1), "unknown fields ['extra']"],
  ['bad type', set('type', 'hello'), "type: expected 'prekey' or 'message'"],
  ['prekey without x3dh', del('x3dh'), "x3dh: present exactly when type is 'prekey'"],
  ['message with x3dh', set('type', 'message'), 'x3dh: present exactly when'],
  ['empty room', set('room', ''), 'room: expected 1-64 characters'],
  ['room too long', set('room', 'r'.repeat(65)), 'room: expected 1-64 characters'],
  ['room with slash', set('room', 'a/b'), 'room: expected 1-64 characters'],
  ['room with newline', set('room', 'ab\n'), 'room: expected 1-64 characters'],
  ['sender not a string', set('sender', 5), 'sender: expected 1-64 characters'],
  ['id with space', set('id', 'a b'), 'id: expected 1-64 characters'],
  ['header not base64url', set('header', '!!!!'), 'header: not unpadded base64url'],
  ['header padded', set('header', 'AAAA===='), 'header: not unpadded base64url'],
  ['header short', set('header', b64encode(new Uint8Array(39))), 'header: expected 40 bytes, got 39'],
  ['header non-canonical', set('header', `${b64encode(new Uint8Array(40)).slice(0, -1)}B`), 'header: non-canonical base64url'],
  ['header impossible length', set('header', 'AAAAA'), 'header: invalid base64url'],
  ['ct too short', set('ct', b64encode(new Uint8Array(15))), 'ct: expected 16 to 65584 bytes'],
  ['ct not string', set('ct', 12), 'ct: expected a base64url string'],
  ['commit short', set('commit', b64encode(new Uint8Array(31))), 'commit: expected 32 bytes'],
  ['x3dh not object', set('x3dh', []), 'x3dh: expected an object'],
  ['x3dh missing ek', del('x3dh.ek'), "x3dh: missing fields ['ek']"],
  ['x3dh unknown', set('x3dh.zz', 1), "x3dh: unknown fields ['zz']"],
  ['x3dh ik short', set('x3dh.ik', b64encode(new Uint8Array(31))), 'x3dh.ik: expected 32 bytes'],
  ['x3dh spk negative', set('x3dh.spk', -1), 'x3dh.spk: expected an integer'],
  ['x3dh spk too big', set('x3dh.spk', 2 ** 32), 'x3dh.spk: expected an integer'],
  ['x3dh opk bool', set('x3dh.opk', false), 'x3dh.opk: expected an integer'],
  ['x3dh spk float', set('x3dh.spk', 1.5), 'numbers must be integers'],
];

for (const [name, mutate, message] of CASES) {
  test(`decoder: ${name}`, () => {
    const obj = prekeyJson();
    mutate(obj);
    const error = rejects(utf8(dumps(obj)));
    assert.ok(error.message.includes(message), `${error.message} should include ${message}`);
  });
}

const RAW = [
  ['', 'not valid ASCII JSON'],
  ['{', 'not valid ASCII JSON'],
  [new Uint8Array([0xff]), 'not valid ASCII JSON'],
  [utf8('{"v":1,"room":"é"}'), 'not valid ASCII JSON'],
  ['[]', 'expected a JSON object'],
  ['null', 'expected a JSON object'],
  ['{"v":NaN}', 'numbers must be integers'],
  ['{"v":-Infinity}', 'numbers must be integers'],
  ['{"v":1e0}', 'numbers must be integers'],
  ['{"v":1.0}', 'numbers must be integers'],
  ['{"v":01}', 'not valid ASCII JSON'],
  ['{"v":1,"v":1}', "duplicate field 'v'"],
  ['{"x":{"a":1,"a":2},"v":1}', "duplicate field 'a'"],
  ['{"v":1}x', 'not valid ASCII JSON'],
  ['{"v":"\u0001"}', 'not valid ASCII JSON'],
  ['{"v":"\\x"}', 'not valid ASCII JSON'],
  ['{"v":99999999999999999999}', 'unsupported version 99999999999999999999'],
  ['{"__proto__":1,"v":1}', "missing fields ['commit', 'ct', 'header', 'id', 'room', 'sender', 'type']"],
  ['[' .repeat(100_000), `larger than ${MAX_ENVELOPE_BYTES} bytes`],
  ['['.repeat(5000), 'not valid ASCII JSON'],
  [`{"v":${'9'.repeat(5000)}}`, 'not valid ASCII JSON'],
  [' {"v" : 2} ', 'unsupported version 2'],
];

for (const [wire, message] of RAW) {
  test(`decoder, raw input: ${message} (${String(wire).slice(0, 24)})`, () => {
    const error = rejects(wire);
    assert.ok(error.message.includes(message), `${error.message} should include ${message}`);
  });
}

test('non-canonical whitespace is rejected', () => {
  const obj = prekeyJson();
  const wire = JSON.stringify(Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]])), null, 1);
  assert.throws(() => Envelope.decode(wire), { message: 'envelope: not in canonical form' });
});

test('non-canonical key order is rejected', () => {
  const obj = prekeyJson();
  const wire = JSON.stringify(Object.fromEntries(Object.entries(obj).reverse()));
  assert.throws(() => Envelope.decode(wire), { message: 'envelope: not in canonical form' });
});

test('escaped characters are not canonical', () => {
  const wire = new TextDecoder().decode(encoding.canonicalJson(prekeyJson()));
  assert.throws(() => Envelope.decode(wire.replace('"v":1', '"\\u0076":1')), { message: 'envelope: not in canonical form' });
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
