// Byte encodings and canonical JSON (docs/protocol.md §1, §6).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { encoding, json, protocol, utf8 } from './support/protocol.mjs';

const { b64decode, b64encode, canonicalJson } = encoding;
const { DecodeError } = protocol;
const text = (bytes) => new TextDecoder().decode(bytes);

describe('base64url without padding', () => {
  test('RFC 4648 §10 vectors, URL-safe alphabet, no padding', () => {
    const cases = [['', ''], ['f', 'Zg'], ['fo', 'Zm8'], ['foo', 'Zm9v'], ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'], ['foobar', 'Zm9vYmFy']];
    for (const [plain, encoded] of cases) {
      assert.equal(b64encode(utf8(plain)), encoded);
      assert.equal(text(b64decode(encoded, { field: 'x', maxLength: 10 })), plain);
    }
    assert.equal(b64encode(Uint8Array.of(0xfb, 0xff)), '-_8');
  });

  test('round trip of every length up to 100', () => {
    for (let n = 0; n <= 100; n += 1) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      assert.deepEqual(b64decode(b64encode(bytes), { field: 'x', maxLength: 100 }), bytes);
    }
  });

  test('strict decoding errors name the field', () => {
    const cases = [
      [5, {}, 'f: expected a base64url string'],
      ['Zg==', {}, 'f: not unpadded base64url or too long'],
      ['Zm+v', {}, 'f: not unpadded base64url or too long'],
      ['Zm9 ', {}, 'f: not unpadded base64url or too long'],
      ['Zm9vY', {}, 'f: invalid base64url'],
      ['Zh', {}, 'f: non-canonical base64url'],
      ['Zm9v', { length: 2 }, 'f: expected 2 bytes, got 3'],
      ['Zm9vYmFy', { maxLength: 5 }, 'f: not unpadded base64url or too long'],
    ];
    for (const [input, options, message] of cases) {
      assert.throws(() => b64decode(input, { field: 'f', maxLength: 10, ...options }), { name: 'DecodeError', message });
    }
  });
});

test('integers and length prefixes', () => {
  assert.deepEqual(encoding.u8(255), Uint8Array.of(255));
  assert.deepEqual(encoding.u16(0x0102), Uint8Array.of(1, 2));
  assert.deepEqual(encoding.u32(0x01020304), Uint8Array.of(1, 2, 3, 4));
  assert.deepEqual(encoding.u64(1764115200000), encoding.fromHex('0000019abd75b800'));
  assert.deepEqual(encoding.u64(2n ** 64n - 1n), new Uint8Array(8).fill(255));
  assert.deepEqual(encoding.lp(utf8('ab')), Uint8Array.of(0, 0, 0, 2, 97, 98));
  assert.notDeepEqual(encoding.concat(encoding.lp(utf8('ab')), encoding.lp(utf8('c'))),
    encoding.concat(encoding.lp(utf8('a')), encoding.lp(utf8('bc'))));
  for (const bad of [-1, 2 ** 32, 1.5, NaN]) assert.throws(() => encoding.u32(bad), RangeError);
  assert.throws(() => encoding.u64(2n ** 64n), RangeError);
  assert.equal(encoding.readU32(Uint8Array.of(9, 0xff, 0xff, 0xff, 0xfe), 1), 0xfffffffe);
});

describe('canonical JSON', () => {
  test("is byte-identical to Python's json.dumps(sort_keys, compact, ensure_ascii)", () => {
    // Expected output produced by CPython 3 with the same value.
    const value = {
      b: [1, 'é\n\u0000\u007f😀"\\/\t\b\f\r\u001f~ '], a: null, c: true, B: false, é: {}, _: [],
    };
    assert.equal(text(canonicalJson(value)),
      '{"B":false,"_":[],"a":null,"b":[1,"\\u00e9\\n\\u0000\\u007f\\ud83d\\ude00\\"\\\\/\\t\\b\\f\\r\\u001f~ "],"c":true,"\\u00e9":{}}');
  });

  test('integers only; big integers as BigInt', () => {
    assert.equal(text(canonicalJson({ n: 2n ** 64n, m: -3 })), '{"m":-3,"n":18446744073709551616}');
    for (const bad of [1.5, NaN, Infinity, 2 ** 53, new Uint8Array(1), () => 1]) {
      assert.throws(() => canonicalJson({ bad }), TypeError);
    }
  });

  test('keys sorted by code point, not UTF-16 unit', () => {
    assert.equal(text(canonicalJson({ '\uffff': 1, '😀': 2 })), '{"\\uffff":1,"\\ud83d\\ude00":2}');
  });
});

describe('strict JSON parser', () => {
  const parse = (input) => json.parseJson(input, 'x');

  test('accepts RFC 8259 JSON', () => {
    const value = parse(' {"a" : [1, -2, 0, "s\\u00e9\\n", true, false, null, {}], "b":{"c":[]}} ');
    assert.deepEqual(JSON.parse(JSON.stringify(value)), { a: [1, -2, 0, 'sé\n', true, false, null, {}], b: { c: [] } });
    assert.equal(parse('9007199254740993'), 9007199254740993n);
    assert.equal(Object.getPrototypeOf(parse('{}')), null);
  });

  test('rejects what Python rejects, with the same messages', () => {
    const cases = [
      ['', 'x: not valid ASCII JSON'], ['{', 'x: not valid ASCII JSON'], ['[1,]', 'x: not valid ASCII JSON'],
      ['{"a":1,}', 'x: not valid ASCII JSON'], ["{'a':1}", 'x: not valid ASCII JSON'], ['01', 'x: not valid ASCII JSON'],
      ['"\\u12"', 'x: not valid ASCII JSON'], ['"a\tb"', 'x: not valid ASCII JSON'], ['tru', 'x: not valid ASCII JSON'],
      ['1 2', 'x: not valid ASCII JSON'], ['1.0', 'x: numbers must be integers'], ['-1e3', 'x: numbers must be integers'],
      ['NaN', 'x: numbers must be integers'], ['Infinity', 'x: numbers must be integers'],
      ['{"a":1,"a":1}', "x: duplicate field 'a'"], ['[[[[1]]]]'.replace(/\[/g, '['.repeat(200)), 'x: not valid ASCII JSON'],
    ];
    for (const [input, message] of cases) assert.throws(() => parse(input), { name: 'DecodeError', message }, input);
  });

  test("pyRepr reads like Python's repr", () => {
    assert.equal(json.pyRepr(['a', "it's", 1, true, null, { k: false }]), "['a', \"it's\", 1, True, None, {'k': False}]");
    assert.equal(json.pyRepr('a\n\u0001'), "'a\\n\\x01'");
  });
});

test('DecodeError is what every malformed input raises', () => {
  assert.throws(() => encoding.fromHex('abc'), DecodeError);
});
