/**
 * Sealed reports (docs/protocol.md §14): a flag's note and revealed messages, encrypted under a
 * fresh report key that is sealed to each moderator report key. Mirrors `crypto.report`,
 * checked against crypto/report_vectors.json (web/tests/report.test.mjs).
 *
 * @module protocol/report
 */

import { b64decode, b64encode, canonicalJson, concat, lp, utf8 } from './encoding.js';
import { DecodeError, DecryptionError, InvalidKeyError } from './errors.js';
import * as p from './primitives.js';

export const REPORT_VERSION = 1;
export const REPORT_DOMAIN = 'peerhaven/v1/report';
export const REPORT_KEY_DOMAIN = 'peerhaven/v1/report-key';
export const MAX_RECIPIENTS = 64;
export const MAX_REVEALED_MESSAGES = 20;
export const MAX_NOTE_CHARS = 4000;
const MAX_PLAINTEXT = 16 * 1024;
const MAX_CIPHERTEXT = 512 * 1024;
const SEALED_KEY_BYTES = p.SEALED_BOX_OVERHEAD + p.AEAD_KEY_BYTES;
const text = new TextDecoder('utf-8', { fatal: true });

/** `lp(REPORT_DOMAIN) ‖ lp(room) ‖ lp(category)` */
export function reportAssociatedData(room, category) {
  return concat(lp(utf8(REPORT_DOMAIN)), lp(utf8(room)), lp(utf8(category)));
}

/** What a moderator device signs (under REPORT_KEY_DOMAIN) to register its report key. */
export function reportKeyPayload(origin, reportKey) {
  if (!(reportKey instanceof Uint8Array) || reportKey.length !== 32) {
    throw new InvalidKeyError('report key must be 32 bytes');
  }
  return concat(lp(utf8(origin)), reportKey);
}

/**
 * The report body's canonical bytes.
 * @param {{category: string, note: string, messages: Array<{id: string, sender: string,
 *   plaintext: Uint8Array, frankingKey: Uint8Array, tag: Uint8Array}>}} report
 */
export function reportToBytes({ category, note, messages }) {
  if (note.length > MAX_NOTE_CHARS) throw new DecodeError('note: too long');
  if (messages.length > MAX_REVEALED_MESSAGES) throw new DecodeError('too many messages');
  return canonicalJson({
    v: REPORT_VERSION, category, note,
    messages: messages.map((m) => ({
      id: m.id, sender: m.sender, plaintext: b64encode(m.plaintext),
      franking_key: b64encode(m.frankingKey), tag: b64encode(m.tag),
    })),
  });
}

function reportFromBytes(bytes) {
  let body;
  try {
    body = JSON.parse(text.decode(bytes));
  } catch {
    throw new DecodeError('report: not JSON');
  }
  if (body === null || typeof body !== 'object' || body.v !== REPORT_VERSION
      || typeof body.category !== 'string' || typeof body.note !== 'string'
      || !Array.isArray(body.messages) || body.messages.length > MAX_REVEALED_MESSAGES) {
    throw new DecodeError('report: unexpected fields');
  }
  return {
    category: body.category,
    note: body.note,
    messages: body.messages.map((m) => ({
      id: String(m.id), sender: String(m.sender),
      plaintext: b64decode(m.plaintext, { field: 'plaintext', maxLength: MAX_PLAINTEXT }),
      frankingKey: b64decode(m.franking_key, { field: 'franking_key', length: 32, maxLength: 32 }),
      tag: b64decode(m.tag, { field: 'tag', length: 32, maxLength: 32 }),
    })),
  };
}

/**
 * Seal `report` for `recipients` (moderator X25519 report keys). Returns the wire form.
 * @param {Parameters<typeof reportToBytes>[0]} report
 * @param {{room: string, recipients: Uint8Array[], rng?: import('./primitives.js').Random}} o
 * @returns {string}
 */
export function sealReport(report, { room, recipients, rng = p.randomBytes }) {
  if (recipients.length < 1 || recipients.length > MAX_RECIPIENTS) {
    throw new DecodeError(`1 to ${MAX_RECIPIENTS} recipients expected`);
  }
  const reportKey = rng(p.AEAD_KEY_BYTES);
  const nonce = rng(p.AEAD_NONCE_BYTES);
  const ciphertext = p.aeadEncrypt(reportKey, nonce, reportToBytes(report),
    reportAssociatedData(room, report.category));
  return text.decode(canonicalJson({
    v: REPORT_VERSION, nonce: b64encode(nonce), ciphertext: b64encode(ciphertext),
    recipients: recipients.map((key) => ({
      key: b64encode(key), sealed: b64encode(p.cryptoBoxSeal(reportKey, key, rng)),
    })),
  }));
}

/**
 * Open a sealed report (the wire form) with a moderator's report key pair.
 * @param {string} wire
 * @param {{room: string, category: string, publicKey: Uint8Array, privateKey: Uint8Array}} o
 * @throws {DecryptionError} not for this key, altered, or another room or category
 */
export function openReport(wire, { room, category, publicKey, privateKey }) {
  let body;
  try {
    body = JSON.parse(wire);
  } catch {
    throw new DecodeError('sealed report: not JSON');
  }
  if (body === null || typeof body !== 'object' || body.v !== REPORT_VERSION
      || !Array.isArray(body.recipients)) {
    throw new DecodeError('sealed report: unexpected fields');
  }
  const mine = b64encode(publicKey);
  const entry = body.recipients.find((r) => r && r.key === mine);
  if (!entry) throw new DecryptionError();
  const sealed = b64decode(entry.sealed, { field: 'sealed', length: SEALED_KEY_BYTES,
    maxLength: SEALED_KEY_BYTES });
  const reportKey = p.cryptoBoxSealOpen(sealed, publicKey, privateKey);
  const nonce = b64decode(body.nonce, { field: 'nonce', length: 24, maxLength: 24 });
  const ciphertext = b64decode(body.ciphertext, { field: 'ciphertext', maxLength: MAX_CIPHERTEXT });
  const report = reportFromBytes(
    p.aeadDecrypt(reportKey, nonce, ciphertext, reportAssociatedData(room, category)),
  );
  if (report.category !== category) throw new DecryptionError();
  return report;
}
