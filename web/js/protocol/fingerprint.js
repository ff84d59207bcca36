/**
 * Safety numbers: libsignal's numeric fingerprint over both identity keys
 * (docs/protocol.md §8). Mirrors `crypto.fingerprint`.
 *
 *     h = u16(version) ‖ key ‖ stableId
 *     repeat iterations times:  h = SHA-512(h ‖ key)
 *     digits = for i in 0..5: (big-endian integer of h[5i .. 5i+5)) mod 100000, as 5 digits
 *
 * The safety number is both 30-digit halves, the smaller first (60 digits, the same on both
 * devices), displayed as 12 groups of 5. Peerhaven: version 0, 5200 iterations, key = the
 * 32-byte Ed25519 identity public key, stableId = the device id.
 *
 * @module protocol/fingerprint
 */

import { concat, u16, utf8 } from './encoding.js';
import * as p from './primitives.js';

export const FINGERPRINT_VERSION = 0;
export const FINGERPRINT_ITERATIONS = 5200;

const asBytes = (value) => (typeof value === 'string' ? utf8(value) : value);

/**
 * The 30-digit half of a safety number for one identity.
 * @param {Uint8Array} key
 * @param {string|Uint8Array} stableId
 * @param {{iterations?: number, version?: number}} [options]
 * @returns {string}
 */
export function displayableFingerprint(
  key, stableId, { iterations = FINGERPRINT_ITERATIONS, version = FINGERPRINT_VERSION } = {},
) {
  let digest = concat(u16(version), key, asBytes(stableId));
  for (let i = 0; i < iterations; i += 1) digest = p.sha512(concat(digest, key));
  let out = '';
  for (let i = 0; i < 30; i += 5) {
    // 5 bytes = 40 bits: exact in a double (< 2**53).
    const chunk = digest.subarray(i, i + 5).reduce((acc, byte) => acc * 256 + byte, 0);
    out += String(chunk % 100000).padStart(5, '0');
  }
  return out;
}

/**
 * The 60-digit safety number; identical on both devices.
 * @param {Uint8Array} localKey
 * @param {string|Uint8Array} localId
 * @param {Uint8Array} remoteKey
 * @param {string|Uint8Array} remoteId
 * @param {{iterations?: number}} [options]
 * @returns {string}
 */
export function safetyNumber(localKey, localId, remoteKey, remoteId, { iterations } = {}) {
  const local = displayableFingerprint(localKey, localId, { iterations });
  const remote = displayableFingerprint(remoteKey, remoteId, { iterations });
  return local < remote ? local + remote : remote + local;
}

/**
 * `"12345 67890 …"`: groups of 5 digits.
 * @param {string} number
 * @returns {string}
 */
export function formatSafetyNumber(number) {
  return number.match(/.{1,5}/g)?.join(' ') ?? '';
}
