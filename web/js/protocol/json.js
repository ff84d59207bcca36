/**
 * A strict JSON parser for wire input (envelopes, bundles, saved sessions).
 *
 * `JSON.parse` cannot tell `1` from `1.0`, silently keeps the last of duplicate keys and lets
 * a `"__proto__"` key through; this parser follows RFC 8259 and reports, like the Python
 * decoder (`json.loads` with Peerhaven's hooks), non-integer numbers and duplicate keys.
 * Objects come back with a null prototype; integers beyond 2**53 come back as BigInt, so no
 * value is silently rounded.
 *
 * @module protocol/json
 */

import { DecodeError } from './errors.js';

/** Deeper nesting than this is refused (Python's decoder stops at its recursion limit). */
export const MAX_JSON_DEPTH = 512;
/** Python refuses longer integers (`sys.int_info.str_digits_check_threshold`). */
const MAX_INT_DIGITS = 4300;

class Invalid extends Error {}

const LITERALS = [['true', true], ['false', false], ['null', null]];
const ESCAPES = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Parse JSON text strictly.
 *
 * @param {string} text
 * @param {string} what prefix of error messages, e.g. "envelope"
 * @returns {unknown}
 * @throws {DecodeError} `<what>: not valid ASCII JSON`, `<what>: numbers must be integers`,
 *   `<what>: duplicate field '<key>'`
 */
export function parseJson(text, what) {
  let pos = 0;

  const ws = () => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos])) pos += 1;
  };
  const expect = (literal) => {
    if (text.startsWith(literal, pos)) pos += literal.length;
    else throw new Invalid();
  };

  function string() {
    expect('"');
    let out = '';
    for (;;) {
      if (pos >= text.length) throw new Invalid();
      const char = text[pos];
      pos += 1;
      if (char === '"') return out;
      if (char.charCodeAt(0) < 0x20) throw new Invalid();
      if (char !== '\\') {
        out += char;
        continue;
      }
      const esc = text[pos];
      pos += 1;
      if (esc !== undefined && Object.hasOwn(ESCAPES, esc)) out += ESCAPES[esc];
      else if (esc === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(pos, pos + 4))) {
        out += String.fromCharCode(parseInt(text.slice(pos, pos + 4), 16));
        pos += 4;
      } else throw new Invalid();
    }
  }

  function number() {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(pos));
    if (!match) {
      if (/^(NaN|Infinity|-Infinity)/.test(text.slice(pos))) {
        throw new DecodeError(`${what}: numbers must be integers`);
      }
      throw new Invalid();
    }
    pos += match[0].length;
    if (match[2] !== undefined || match[3] !== undefined) {
      throw new DecodeError(`${what}: numbers must be integers`);
    }
    if (match[1].length > MAX_INT_DIGITS) throw new Invalid();
    const big = BigInt(match[0]);
    const small = Number(big);
    return Number.isSafeInteger(small) ? small : big;
  }

  function value(depth) {
    if (depth > MAX_JSON_DEPTH) throw new Invalid();
    ws();
    const char = text[pos];
    if (char === '{') return object(depth);
    if (char === '[') return array(depth);
    if (char === '"') return string();
    for (const [literal, result] of LITERALS) {
      if (char === literal[0]) {
        expect(literal);
        return result;
      }
    }
    return number();
  }

  function array(depth) {
    expect('[');
    const out = [];
    ws();
    if (text[pos] === ']') {
      pos += 1;
      return out;
    }
    for (;;) {
      out.push(value(depth + 1));
      ws();
      if (text[pos] === ']') {
        pos += 1;
        return out;
      }
      expect(',');
    }
  }

  function object(depth) {
    expect('{');
    const pairs = [];
    ws();
    if (text[pos] === '}') pos += 1;
    else {
      for (;;) {
        ws();
        const key = string();
        ws();
        expect(':');
        pairs.push([key, value(depth + 1)]);
        ws();
        if (text[pos] === '}') {
          pos += 1;
          break;
        }
        expect(',');
      }
    }
    // Like Python's object_pairs_hook: duplicates are found when the object closes.
    const out = Object.create(null);
    for (const [key, item] of pairs) {
      if (Object.prototype.hasOwnProperty.call(out, key)) {
        throw new DecodeError(`${what}: duplicate field ${pyRepr(key)}`);
      }
      out[key] = item;
    }
    return out;
  }

  try {
    const result = value(0);
    ws();
    if (pos !== text.length) throw new Invalid();
    return result;
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    if (error instanceof Invalid || error instanceof RangeError) {
      throw new DecodeError(`${what}: not valid ASCII JSON`);
    }
    throw error;
  }
}

/**
 * Whether `value` is a JSON object as `parseJson` returns it (not an array, not null).
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Python's `repr` of a parsed JSON value, so error messages read exactly like the Python
 * implementation's (`unsupported version '1'`, `missing fields ['ct']`).
 *
 * @param {unknown} value
 * @returns {string}
 */
export function pyRepr(value) {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    let out = quote;
    for (const char of value) {
      const code = char.codePointAt(0);
      if (char === '\\' || char === quote) out += `\\${char}`;
      else if (char === '\n') out += '\\n';
      else if (char === '\r') out += '\\r';
      else if (char === '\t') out += '\\t';
      else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else out += char;
    }
    return out + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value).map((k) => `${pyRepr(k)}: ${pyRepr(value[k])}`).join(', ')}}`;
  }
  return String(value);
}
