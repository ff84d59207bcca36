/**
 * Shared byte encodings (docs/protocol.md §1, §6): strict unpadded base64url, big-endian
 * integers, length prefixes, canonical JSON. Pure JavaScript, no libsodium needed.
 *
 * @module protocol/encoding
 */

import { DecodeError } from './errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL = /^[A-Za-z0-9_-]*$/;
const ASCII = new TextEncoder();

/**
 * Whether `value` is a Uint8Array (the only byte type the protocol accepts).
 * @param {unknown} value
 * @returns {value is Uint8Array}
 */
export function isBytes(value) {
  return value instanceof Uint8Array;
}

/**
 * Concatenate byte arrays.
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * UTF-8 bytes of a string.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function utf8(text) {
  return ASCII.encode(text);
}

/**
 * Lowercase hex (test vectors use it).
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Bytes from lowercase or uppercase hex. Throws DecodeError.
 * @param {string} hex
 * @returns {Uint8Array}
 */
export function fromHex(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new DecodeError('hex: expected an even number of hex digits');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Unpadded base64url (RFC 4648 §5).
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function b64encode(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j += 1) out += ALPHABET[(n >> (18 - 6 * j)) & 63];
  }
  return out;
}

/**
 * Strict unpadded base64url: canonical form only, exact or bounded decoded length.
 * Mirrors `crypto.encoding.b64decode`, including its error messages.
 *
 * @param {unknown} text
 * @param {{field: string, length?: number, maxLength: number}} options
 * @returns {Uint8Array}
 * @throws {DecodeError} naming `field`
 */
export function b64decode(text, { field, length, maxLength }) {
  if (typeof text !== 'string') throw new DecodeError(`${field}: expected a base64url string`);
  if (text.length > Math.floor((maxLength * 4 + 2) / 3) || !B64URL.test(text)) {
    throw new DecodeError(`${field}: not unpadded base64url or too long`);
  }
  if (text.length % 4 === 1) throw new DecodeError(`${field}: invalid base64url`);
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let acc = 0;
  let k = 0;
  for (const char of text) {
    acc = (acc << 6) | ALPHABET.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k] = (acc >> bits) & 0xff;
      k += 1;
    }
    acc &= (1 << bits) - 1;
  }
  if (b64encode(out) !== text) throw new DecodeError(`${field}: non-canonical base64url`);
  if (length !== undefined && out.length !== length) {
    throw new DecodeError(`${field}: expected ${length} bytes, got ${out.length}`);
  }
  if (out.length > maxLength) throw new DecodeError(`${field}: longer than ${maxLength} bytes`);
  return out;
}

function uint(value, size) {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** (8 * size)) {
    throw new RangeError(`expected an integer in [0, 2**${8 * size})`);
  }
  const out = new Uint8Array(size);
  let rest = value;
  for (let i = size - 1; i >= 0; i -= 1) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

/** @param {number} value @returns {Uint8Array} one byte */
export const u8 = (value) => uint(value, 1);
/** @param {number} value @returns {Uint8Array} big-endian, 2 bytes */
export const u16 = (value) => uint(value, 2);
/** @param {number} value @returns {Uint8Array} big-endian, 4 bytes */
export const u32 = (value) => uint(value, 4);

/**
 * Big-endian 8 bytes. Accepts a safe integer or a BigInt below 2**64.
 * @param {number|bigint} value
 * @returns {Uint8Array}
 */
export function u64(value) {
  const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : -1n;
  if (big < 0n || big >= 1n << 64n) throw new RangeError('expected an integer in [0, 2**64)');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, big);
  return out;
}

/**
 * Read a big-endian unsigned 32-bit integer.
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @returns {number}
 */
export function readU32(bytes, offset) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

/**
 * Length-prefixed field: `u32(len(x)) ‖ x`.
 * @param {Uint8Array} bytes
 * @returns {Uint8Array}
 */
export function lp(bytes) {
  return concat(u32(bytes.length), bytes);
}

function compareCodePoints(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

const SHORT_ESCAPES = {
  '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f',
};

function encodeString(text) {
  // Python's json.dumps(ensure_ascii=True): everything outside space..tilde is escaped,
  // as \uXXXX (lowercase hex, UTF-16 code units) unless it has a short escape.
  let out = '"';
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    const code = text.charCodeAt(i);
    if (Object.hasOwn(SHORT_ESCAPES, char)) out += SHORT_ESCAPES[char];
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

function encodeValue(value) {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('canonical JSON: integers only');
    return String(value);
  }
  if (typeof value === 'string') return encodeString(value);
  if (Array.isArray(value)) return `[${value.map(encodeValue).join(',')}]`;
  if (typeof value === 'object' && !isBytes(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort(compareCodePoints);
    return `{${keys.map((k) => `${encodeString(k)}:${encodeValue(value[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON: cannot encode ${typeof value}`);
}

/**
 * Canonical JSON (docs/protocol.md §6): keys sorted by code point, no whitespace, pure ASCII
 * (Python's `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=True)`), integers
 * only. Properties whose value is `undefined` are left out.
 *
 * @param {unknown} value
 * @returns {Uint8Array} ASCII bytes
 */
export function canonicalJson(value) {
  return ASCII.encode(encodeValue(value));
}
