/**
 * The versioned, canonical wire format of one encrypted message (docs/protocol.md §6).
 * Mirrors `crypto.envelope`, including the decoder's order of checks and its messages.
 *
 *     {"commit":B64(32),"ct":B64,"header":B64(40),"id":ID,"room":ID,"sender":ID,
 *      "type":"message","v":1}
 *
 * plus `"x3dh":{"ek":B64(32),"ik":B64(32),"opk":INT,"spk":INT}` (`opk` optional) exactly when
 * `type` is `"prekey"`.
 *
 * @module protocol/envelope
 */

import { b64decode, b64encode, canonicalJson, concat, isBytes, lp, u32, utf8 } from './encoding.js';
import { DecodeError, InvalidKeyError } from './errors.js';
import { isObject, parseJson, pyRepr } from './json.js';
import { HEADER_BYTES, RatchetHeader } from './ratchet.js';
import { X3DHHeader } from './x3dh.js';

export const ENVELOPE_VERSION = 1;
export const MAX_PLAINTEXT_BYTES = 65536;
export const MAX_CIPHERTEXT_BYTES = MAX_PLAINTEXT_BYTES + 32 + 16; // franking key + tag
export const MAX_ENVELOPE_BYTES = 98304;

/** The two envelope types. */
export const EnvelopeType = Object.freeze({ PREKEY: 'prekey', MESSAGE: 'message' });

const ASCII = new TextDecoder(); // only ever given bytes <= 0x7f, where UTF-8 is ASCII
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const FIELDS = ['commit', 'ct', 'header', 'id', 'room', 'sender', 'type', 'v'];
const X3DH_REQUIRED = ['ek', 'ik', 'spk'];
const X3DH_FIELDS = ['ek', 'ik', 'opk', 'spk'];

/**
 * Room, device and message ids: 1–64 characters from `[A-Za-z0-9_.:-]`.
 * @param {string} field
 * @param {unknown} value
 * @returns {string}
 * @throws {DecodeError}
 */
export function validateId(field, value) {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new DecodeError(`${field}: expected 1-64 characters from [A-Za-z0-9_.:-]`);
  }
  return value;
}

function keyId(field, value) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new DecodeError(`${field}: expected an integer in [0, 2**32)`);
  }
  return value;
}

const missing = (obj, names) => names.filter((k) => !Object.hasOwn(obj, k)).sort();
const unknown = (obj, names) => Object.keys(obj).filter((k) => !names.includes(k)).sort();

/**
 * Every envelope field outside the ciphertext and ratchet header, for the AEAD associated
 * data: `u32(v) ‖ lp(type) ‖ lp(room) ‖ lp(sender) ‖ lp(id) ‖ lp(x3dh or empty)
 * ‖ lp(commit)`.
 * @param {{type: string, room: string, sender: string, messageId: string,
 *   x3dh: X3DHHeader|null, commitment: Uint8Array}} fields
 * @returns {Uint8Array}
 */
export function envelopeAssociatedData({ type, room, sender, messageId, x3dh, commitment }) {
  return concat(
    u32(ENVELOPE_VERSION),
    lp(utf8(type)),
    lp(utf8(room)),
    lp(utf8(sender)),
    lp(utf8(messageId)),
    lp(x3dh === null ? new Uint8Array(0) : x3dh.toBytes()),
    lp(commitment),
  );
}

/** One encrypted message as it travels. Immutable; the constructor validates. */
export class Envelope {
  /**
   * @param {{type: string, room: string, sender: string, messageId: string,
   *   header: RatchetHeader, ciphertext: Uint8Array, commitment: Uint8Array,
   *   x3dh?: X3DHHeader|null}} fields
   * @throws {DecodeError}
   */
  constructor({ type, room, sender, messageId, header, ciphertext, commitment, x3dh = null }) {
    validateId('room', room);
    validateId('sender', sender);
    validateId('id', messageId);
    if (type !== EnvelopeType.PREKEY && type !== EnvelopeType.MESSAGE) {
      throw new DecodeError("type: expected 'prekey' or 'message'");
    }
    if ((type === EnvelopeType.PREKEY) !== (x3dh !== null)) {
      throw new DecodeError("x3dh: present exactly when type is 'prekey'");
    }
    const ctLength = isBytes(ciphertext) ? ciphertext.length : -1;
    if (ctLength < 16 || ctLength > MAX_CIPHERTEXT_BYTES) {
      throw new DecodeError(`ct: expected 16 to ${MAX_CIPHERTEXT_BYTES} bytes`);
    }
    if (!isBytes(commitment) || commitment.length !== 32) {
      throw new DecodeError('commit: expected 32 bytes');
    }
    Object.assign(this, { type, room, sender, messageId, header, ciphertext, commitment, x3dh });
    Object.freeze(this);
  }

  /** The envelope fields bound into the AEAD (see {@link envelopeAssociatedData}). */
  associatedData() {
    return envelopeAssociatedData(this);
  }

  /** The JSON object (before canonical encoding). */
  toJSON() {
    const out = {
      v: ENVELOPE_VERSION,
      type: this.type,
      room: this.room,
      sender: this.sender,
      id: this.messageId,
      header: b64encode(this.header.toBytes()),
      ct: b64encode(this.ciphertext),
      commit: b64encode(this.commitment),
    };
    if (this.x3dh !== null) {
      out.x3dh = {
        ik: b64encode(this.x3dh.identityKey),
        ek: b64encode(this.x3dh.ephemeralKey),
        spk: this.x3dh.signedPrekeyId,
      };
      if (this.x3dh.oneTimePrekeyId !== null) out.x3dh.opk = this.x3dh.oneTimePrekeyId;
    }
    return out;
  }

  /** @returns {Uint8Array} the canonical JSON bytes (ASCII) */
  encode() {
    return canonicalJson(this.toJSON());
  }

  /**
   * Parse a wire envelope, strictly (docs/protocol.md §6, "Decoder").
   * @param {Uint8Array|string} data
   * @returns {Envelope}
   * @throws {DecodeError} with a message naming the field
   */
  static decode(data) {
    const raw = typeof data === 'string' ? utf8(data) : data;
    if (!isBytes(raw)) throw new DecodeError('envelope: expected bytes or str');
    if (raw.length > MAX_ENVELOPE_BYTES) {
      throw new DecodeError(`envelope: larger than ${MAX_ENVELOPE_BYTES} bytes`);
    }
    if (raw.some((byte) => byte > 0x7f)) throw new DecodeError('envelope: not valid ASCII JSON');
    const envelope = Envelope.fromJSON(parseJson(ASCII.decode(raw), 'envelope'));
    const canonical = envelope.encode();
    if (canonical.length !== raw.length || canonical.some((byte, i) => byte !== raw[i])) {
      throw new DecodeError('envelope: not in canonical form');
    }
    return envelope;
  }

  /**
   * Build from a parsed JSON object (no canonical-form check: use {@link Envelope.decode}
   * for wire input).
   * @param {unknown} obj
   * @returns {Envelope}
   * @throws {DecodeError}
   */
  static fromJSON(obj) {
    if (!isObject(obj)) throw new DecodeError('envelope: expected a JSON object');
    if (!Object.hasOwn(obj, 'v')) throw new DecodeError("envelope: missing version field 'v'");
    if (obj.v !== ENVELOPE_VERSION) {
      throw new DecodeError(`envelope: unsupported version ${pyRepr(obj.v)}`);
    }
    const absent = missing(obj, FIELDS);
    if (absent.length > 0) throw new DecodeError(`envelope: missing fields ${pyRepr(absent)}`);
    const extra = unknown(obj, [...FIELDS, 'x3dh']);
    if (extra.length > 0) throw new DecodeError(`envelope: unknown fields ${pyRepr(extra)}`);
    if (obj.type !== EnvelopeType.PREKEY && obj.type !== EnvelopeType.MESSAGE) {
      throw new DecodeError("type: expected 'prekey' or 'message'");
    }
    const header = b64decode(obj.header, {
      field: 'header', length: HEADER_BYTES, maxLength: HEADER_BYTES,
    });
    return new Envelope({
      type: obj.type,
      room: validateId('room', obj.room),
      sender: validateId('sender', obj.sender),
      messageId: validateId('id', obj.id),
      header: RatchetHeader.fromBytes(header),
      ciphertext: b64decode(obj.ct, { field: 'ct', maxLength: MAX_CIPHERTEXT_BYTES }),
      commitment: b64decode(obj.commit, { field: 'commit', length: 32, maxLength: 32 }),
      x3dh: Object.hasOwn(obj, 'x3dh') ? x3dhFromJSON(obj.x3dh) : null,
    });
  }
}

function x3dhFromJSON(obj) {
  if (!isObject(obj)) throw new DecodeError('x3dh: expected an object');
  const absent = missing(obj, X3DH_REQUIRED);
  if (absent.length > 0) throw new DecodeError(`x3dh: missing fields ${pyRepr(absent)}`);
  const extra = unknown(obj, X3DH_FIELDS);
  if (extra.length > 0) throw new DecodeError(`x3dh: unknown fields ${pyRepr(extra)}`);
  try {
    return new X3DHHeader({
      identityKey: b64decode(obj.ik, { field: 'x3dh.ik', length: 32, maxLength: 32 }),
      ephemeralKey: b64decode(obj.ek, { field: 'x3dh.ek', length: 32, maxLength: 32 }),
      signedPrekeyId: keyId('x3dh.spk', obj.spk),
      oneTimePrekeyId: Object.hasOwn(obj, 'opk') ? keyId('x3dh.opk', obj.opk) : null,
    });
  } catch (error) {
    // Unreachable (lengths and ids are checked above); kept so no InvalidKeyError escapes.
    if (error instanceof InvalidKeyError) throw new DecodeError(`x3dh: ${error.message}`);
    throw error;
  }
}
