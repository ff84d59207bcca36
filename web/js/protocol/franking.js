/**
 * Message franking: verifiable abuse reports without plaintext on the server
 * (docs/protocol.md §5). Mirrors `crypto.franking`.
 *
 * - Sender: `frankingKey = rng(32)`, `commitment = HMAC(frankingKey, plaintext)`; the key travels
 *   inside the ciphertext, the commitment outside it, bound in the associated data.
 * - Recipient: after decryption, recomputes the commitment; discards the message on mismatch.
 * - Server, on delivery: `tag = serverTag(serverSecret, commitment, room, sender, recipient, ts)`.
 * - Report: the recipient reveals plaintext + franking key (+ tag); the server runs `verifyReport`.
 *
 * @module protocol/franking
 */

import { concat, isBytes, lp, u64, utf8 } from './encoding.js';
import { FrankingError, InvalidKeyError, ReportError } from './errors.js';
import * as p from './primitives.js';

export const FRANKING_KEY_BYTES = 32;
export const SERVER_TAG_DOMAIN = 'peerhaven/v1/franking-tag';
const MIN_SERVER_SECRET_BYTES = 32;

/** @param {import('./primitives.js').Random} [rng] @returns {Uint8Array} 32 fresh bytes */
export function newFrankingKey(rng = p.randomBytes) {
  return rng(FRANKING_KEY_BYTES);
}

/**
 * `HMAC-SHA256(frankingKey, plaintext)`.
 * @param {Uint8Array} frankingKey 32 bytes
 * @param {Uint8Array} plaintext
 * @returns {Uint8Array} 32 bytes
 * @throws {InvalidKeyError}
 */
export function commit(frankingKey, plaintext) {
  if (!isBytes(frankingKey) || frankingKey.length !== FRANKING_KEY_BYTES) {
    throw new InvalidKeyError('franking key must be 32 bytes');
  }
  return p.hmacSha256(frankingKey, plaintext);
}

/**
 * @param {Uint8Array} frankingKey
 * @param {Uint8Array} plaintext
 * @param {Uint8Array} commitment
 * @throws {FrankingError} if `commitment` does not open to `plaintext`
 */
export function verifyCommitment(frankingKey, plaintext, commitment) {
  if (!isBytes(frankingKey) || frankingKey.length !== FRANKING_KEY_BYTES
      || !p.constantTimeEqual(commit(frankingKey, plaintext), commitment)) {
    throw new FrankingError();
  }
}

const text = (name, value) => {
  if (typeof value === 'string') return utf8(value);
  if (isBytes(value)) return value;
  throw new TypeError(`${name} must be a string or Uint8Array`);
};

/**
 * `lp(DOMAIN) ‖ lp(commitment) ‖ lp(room) ‖ lp(sender) ‖ lp(recipient)
 * ‖ u64(timestampMs)`, strings as UTF-8.
 * @param {Uint8Array} commitment
 * @param {string|Uint8Array} room
 * @param {string|Uint8Array} sender
 * @param {string|Uint8Array} recipient
 * @param {number|bigint} timestampMs milliseconds since the Unix epoch
 * @returns {Uint8Array}
 */
export function serverTagInput(commitment, room, sender, recipient, timestampMs) {
  if (!(Number.isSafeInteger(timestampMs) || typeof timestampMs === 'bigint')) {
    throw new TypeError('timestamp must be an integer (milliseconds since the Unix epoch)');
  }
  return concat(
    lp(utf8(SERVER_TAG_DOMAIN)),
    lp(commitment),
    lp(text('room', room)),
    lp(text('sender', sender)),
    lp(text('recipient', recipient)),
    u64(timestampMs),
  );
}

/**
 * The 32-byte tag the server stores when it delivers an envelope.
 * @param {Uint8Array} serverSecret at least 32 bytes
 * @param {Uint8Array} commitment
 * @param {string|Uint8Array} room
 * @param {string|Uint8Array} sender
 * @param {string|Uint8Array} recipient
 * @param {number|bigint} timestampMs
 * @returns {Uint8Array}
 * @throws {InvalidKeyError}
 */
export function serverTag(serverSecret, commitment, room, sender, recipient, timestampMs) {
  if (!isBytes(serverSecret) || serverSecret.length < MIN_SERVER_SECRET_BYTES) {
    throw new InvalidKeyError('server secret must be at least 32 bytes');
  }
  if (!isBytes(commitment) || commitment.length !== 32) {
    throw new InvalidKeyError('commitment must be 32 bytes');
  }
  return p.hmacSha256(
    serverSecret, serverTagInput(commitment, room, sender, recipient, timestampMs),
  );
}

/**
 * Check a report: the revealed plaintext and key must reproduce the stored tag. `room`,
 * `sender`, `recipient` and `timestampMs` come from the server's own delivery record.
 * @param {Uint8Array} serverSecret
 * @param {{plaintext: Uint8Array, frankingKey: Uint8Array, tag: Uint8Array,
 *   room: string|Uint8Array, sender: string|Uint8Array, recipient: string|Uint8Array,
 *   timestampMs: number|bigint}} report
 * @throws {ReportError}
 */
export function verifyReport(serverSecret, {
  plaintext, frankingKey, tag, room, sender, recipient, timestampMs,
}) {
  if (!isBytes(frankingKey) || frankingKey.length !== FRANKING_KEY_BYTES) throw new ReportError();
  const expected = serverTag(
    serverSecret, commit(frankingKey, plaintext), room, sender, recipient, timestampMs,
  );
  if (!p.constantTimeEqual(expected, tag)) throw new ReportError();
}
