/**
 * The Double Ratchet (docs/protocol.md §4). Mirrors `crypto.ratchet`.
 *
 *     KDF_RK(rk, dh) = HKDF(salt = rk, ikm = dh, RATCHET_INFO, 64)           -> rk', ck
 *     KDF_CK(ck)     = HMAC(ck, 0x02) -> ck',  HMAC(ck, 0x01) -> mk
 *     key ‖ nonce    = HKDF(salt = 32 zero bytes, ikm = mk, MESSAGE_KEY_INFO, 56)
 *     ciphertext     = XChaCha20-Poly1305(key, nonce, plaintext, AD ‖ header ‖ extra)
 *
 * A sans-I/O state machine. `decrypt` computes every new value into locals and commits them
 * only after the AEAD tag verified, so a forged, corrupted or replayed message leaves the
 * session exactly as it was.
 *
 * @module protocol/ratchet
 */

import { b64decode, b64encode, concat, isBytes, readU32, u32, utf8 } from './encoding.js';
import {
  CryptoError, DecodeError, DecryptionError, LimitError, ReplayError, SkippedMessageLimitError,
} from './errors.js';
import { isObject } from './json.js';
import { X25519KeyPair } from './keys.js';
import * as p from './primitives.js';
import { MAX_SKIPPED_PER_CHAIN, MAX_SKIPPED_TOTAL, SkippedKeys } from './skipped.js';

export { MAX_SKIPPED_PER_CHAIN, MAX_SKIPPED_TOTAL };
export const RATCHET_INFO = 'Peerhaven ratchet v1';
export const MESSAGE_KEY_INFO = 'Peerhaven message keys v1';
export const HEADER_BYTES = 40;
const MAX_COUNTER = 0xffffffff;
const STATE_VERSION = 1;

/**
 * @param {Uint8Array} rootKey
 * @param {Uint8Array} dhOutput
 * @returns {[Uint8Array, Uint8Array]} (new root key, new chain key)
 */
export function kdfRk(rootKey, dhOutput) {
  const out = p.hkdfSha256(dhOutput, { salt: rootKey, info: utf8(RATCHET_INFO), length: 64 });
  return [out.slice(0, 32), out.slice(32)];
}

/**
 * The libsignal chain step.
 * @param {Uint8Array} chainKey
 * @returns {[Uint8Array, Uint8Array]} (next chain key, message key)
 */
export function kdfCk(chainKey) {
  return [p.hmacSha256(chainKey, Uint8Array.of(2)), p.hmacSha256(chainKey, Uint8Array.of(1))];
}

/**
 * @param {Uint8Array} messageKey
 * @returns {[Uint8Array, Uint8Array]} (AEAD key, 24-byte nonce); each message key is used once
 */
export function messageCipherParams(messageKey) {
  const out = p.hkdfSha256(messageKey, {
    salt: new Uint8Array(32), info: utf8(MESSAGE_KEY_INFO), length: 56,
  });
  return [out.slice(0, 32), out.slice(32)];
}

const isCounter = (v) => Number.isInteger(v) && v >= 0 && v <= MAX_COUNTER;

/** `dh (32) ‖ u32(pn) ‖ u32(n)` — 40 bytes. */
export class RatchetHeader {
  /**
   * @param {Uint8Array} dh
   * @param {number} pn
   * @param {number} n
   * @throws {DecodeError}
   */
  constructor(dh, pn, n) {
    if (!isBytes(dh) || dh.length !== p.X25519_BYTES) {
      throw new DecodeError('ratchet header: dh must be 32 bytes');
    }
    for (const [name, value] of [['pn', pn], ['n', n]]) {
      if (!Number.isInteger(value)) {
        throw new DecodeError(`ratchet header: ${name} must be an integer`);
      }
      if (!isCounter(value)) throw new DecodeError(`ratchet header: ${name} out of range`);
    }
    Object.assign(this, { dh, pn, n });
    Object.freeze(this);
  }

  toBytes() {
    return concat(this.dh, u32(this.pn), u32(this.n));
  }

  /** @param {Uint8Array} data @returns {RatchetHeader} */
  static fromBytes(data) {
    if (!isBytes(data) || data.length !== HEADER_BYTES) {
      throw new DecodeError(`ratchet header: expected ${HEADER_BYTES} bytes`);
    }
    return new RatchetHeader(data.slice(0, 32), readU32(data, 32), readU32(data, 36));
  }
}

const sameKey = (a, b) => a !== null && b !== null && p.constantTimeEqual(a, b);

/** One side of a Double Ratchet session. Use `initiator` / `responder` / `fromState`. */
export class DoubleRatchet {
  #ad; #rk; #dhs; #dhr; #cks; #ckr; #ns; #nr; #pn; #skipped; #rng;

  /** @private Use the static constructors. */
  constructor({
    associatedData, rootKey, sendingKey, remoteKey, sendingChain, receivingChain,
    ns = 0, nr = 0, pn = 0, skipped = new SkippedKeys(), rng = p.randomBytes,
  }) {
    this.#ad = associatedData;
    this.#rk = rootKey;
    this.#dhs = sendingKey;
    this.#dhr = remoteKey;
    this.#cks = sendingChain;
    this.#ckr = receivingChain;
    this.#ns = ns;
    this.#nr = nr;
    this.#pn = pn;
    this.#skipped = skipped;
    this.#rng = rng;
  }

  /**
   * Alice: the responder's signed prekey is the first remote ratchet key.
   * @param {Uint8Array} sharedKey
   * @param {Uint8Array} associatedData
   * @param {Uint8Array} remoteRatchetKey
   * @param {import('./primitives.js').Random} [rng]
   */
  static initiator(sharedKey, associatedData, remoteRatchetKey, rng = p.randomBytes) {
    const dhs = X25519KeyPair.generate(rng);
    const [rk, cks] = kdfRk(sharedKey, dhs.dh(remoteRatchetKey));
    return new DoubleRatchet({
      associatedData, rootKey: rk, sendingKey: dhs, remoteKey: remoteRatchetKey,
      sendingChain: cks, receivingChain: null, rng,
    });
  }

  /**
   * Bob: his signed prekey pair is his first ratchet key pair.
   * @param {Uint8Array} sharedKey
   * @param {Uint8Array} associatedData
   * @param {X25519KeyPair} ratchetKey
   * @param {import('./primitives.js').Random} [rng]
   */
  static responder(sharedKey, associatedData, ratchetKey, rng = p.randomBytes) {
    return new DoubleRatchet({
      associatedData, rootKey: sharedKey, sendingKey: ratchetKey, remoteKey: null,
      sendingChain: null, receivingChain: null, rng,
    });
  }

  get associatedData() {
    return this.#ad;
  }

  get skippedCount() {
    return this.#skipped.size;
  }

  get canSend() {
    return this.#cks !== null;
  }

  toString() {
    const { ns, nr, pn, skipped } = this.toJSON();
    return `DoubleRatchet(ns=${ns}, nr=${nr}, pn=${pn}, skipped=${skipped})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return this.toString();
  }

  /**
   * Encrypt one message; `extra` is appended to the associated data.
   * @param {Uint8Array} plaintext
   * @param {Uint8Array} [extra]
   * @returns {{header: RatchetHeader, ciphertext: Uint8Array}}
   * @throws {CryptoError} before the first message from the peer (responder),
   *   {LimitError} when the sending chain is exhausted
   */
  encrypt(plaintext, extra = new Uint8Array(0)) {
    if (this.#cks === null) {
      throw new CryptoError('cannot send before the first message from the peer is received');
    }
    if (this.#ns >= MAX_COUNTER) throw new LimitError('sending chain exhausted');
    const [cks, mk] = kdfCk(this.#cks);
    this.#cks = cks;
    const header = new RatchetHeader(this.#dhs.publicKey, this.#pn, this.#ns);
    this.#ns += 1;
    const [key, nonce] = messageCipherParams(mk);
    const ad = concat(this.#ad, header.toBytes(), extra);
    return { header, ciphertext: p.aeadEncrypt(key, nonce, plaintext, ad) };
  }

  /**
   * Decrypt one message (docs/protocol.md §4, steps 1–5).
   * @param {RatchetHeader} header
   * @param {Uint8Array} ciphertext
   * @param {Uint8Array} [extra]
   * @returns {Uint8Array}
   * @throws {DecryptionError} or its subclasses ReplayError, SkippedMessageLimitError;
   *   the state is unchanged then
   */
  decrypt(header, ciphertext, extra = new Uint8Array(0)) {
    const ad = concat(this.#ad, header.toBytes(), extra);
    const stored = this.#skipped.get(header.dh, header.n);
    if (stored !== undefined) {
      const [key, nonce] = messageCipherParams(stored);
      const plaintext = p.aeadDecrypt(key, nonce, ciphertext, ad);
      this.#skipped.delete(header.dh, header.n);
      return plaintext;
    }

    const remote = Uint8Array.from(header.dh); // ours: the caller may reuse its buffers
    const newSkipped = [];
    // Scratch copies of everything a step may change; written back only after authentication.
    let [rk, dhs, pn, ns, cks] = [this.#rk, this.#dhs, this.#pn, this.#ns, this.#cks];
    let [ckr, nr] = [this.#ckr, this.#nr];
    if (this.#ckr !== null && sameKey(header.dh, this.#dhr)) {
      if (header.n < this.#nr) throw new ReplayError();
      if (header.n - this.#nr > MAX_SKIPPED_PER_CHAIN) throw new SkippedMessageLimitError();
    } else {
      if (header.n > MAX_SKIPPED_PER_CHAIN) throw new SkippedMessageLimitError();
      if (this.#ckr !== null && header.pn - this.#nr > MAX_SKIPPED_PER_CHAIN) {
        throw new SkippedMessageLimitError();
      }
      if (this.#ckr !== null && this.#dhr !== null) {
        let ck = this.#ckr;
        for (let n = this.#nr; n < header.pn; n += 1) {
          let messageKey;
          [ck, messageKey] = kdfCk(ck);
          newSkipped.push({ dh: this.#dhr, n, messageKey });
        }
      }
      try {
        [rk, ckr] = kdfRk(rk, dhs.dh(remote));
        dhs = X25519KeyPair.generate(this.#rng);
        [rk, cks] = kdfRk(rk, dhs.dh(remote));
      } catch (error) {
        if (error instanceof CryptoError) throw new DecryptionError();
        throw error;
      }
      [pn, ns, nr] = [this.#ns, 0, 0];
    }
    for (; nr < header.n; nr += 1) {
      let messageKey;
      [ckr, messageKey] = kdfCk(ckr);
      newSkipped.push({ dh: remote, n: nr, messageKey });
    }
    let messageKey;
    [ckr, messageKey] = kdfCk(ckr);
    const [key, nonce] = messageCipherParams(messageKey);
    const plaintext = p.aeadDecrypt(key, nonce, ciphertext, ad);

    // Authenticated: commit.
    [this.#rk, this.#dhs, this.#pn, this.#ns, this.#cks] = [rk, dhs, pn, ns, cks];
    [this.#dhr, this.#ckr, this.#nr] = [remote, ckr, nr + 1];
    this.#skipped.addAll(newSkipped);
    return plaintext;
  }

  /** Counters only: `JSON.stringify` of a ratchet shows no key. */
  toJSON() {
    return { ns: this.#ns, nr: this.#nr, pn: this.#pn, skipped: this.#skipped.size };
  }

  /**
   * The whole state as JSON-ready data, in the layout of Python's `DoubleRatchet.to_json`.
   * Contains every secret of the session: encrypt it at rest.
   */
  toState() {
    const opt = (value) => (value === null ? null : b64encode(value));
    return {
      v: STATE_VERSION,
      ad: b64encode(this.#ad),
      rk: b64encode(this.#rk),
      dhs: b64encode(this.#dhs.privateKey),
      dhr: opt(this.#dhr),
      cks: opt(this.#cks),
      ckr: opt(this.#ckr),
      ns: this.#ns,
      nr: this.#nr,
      pn: this.#pn,
      skipped: this.#skipped.toState(),
    };
  }

  /**
   * Restore a state written by `toState` (here or by Python's `to_json`).
   * @param {unknown} data
   * @param {import('./primitives.js').Random} [rng]
   * @returns {DoubleRatchet}
   * @throws {DecodeError}
   */
  static fromState(data, rng = p.randomBytes) {
    if (!isObject(data)) throw new DecodeError('ratchet state: expected an object');
    if (data.v !== STATE_VERSION) throw new DecodeError('ratchet state: unsupported version');
    const key = (name, optional = false) => {
      const value = data[name] ?? null;
      if (value === null && optional) return null;
      return b64decode(value, { field: `ratchet.${name}`, length: 32, maxLength: 32 });
    };
    const counter = (name) => {
      const value = data[name];
      if (!Number.isInteger(value)) {
        throw new DecodeError(`ratchet state: ${name} must be an integer`);
      }
      if (!isCounter(value)) throw new DecodeError(`ratchet state: ${name} out of range`);
      return value;
    };
    const raw = data.skipped;
    if (!Array.isArray(raw) || raw.length > MAX_SKIPPED_TOTAL) {
      throw new DecodeError('ratchet state: skipped must be a list of at most 2000 keys');
    }
    const entries = raw.map((item) => {
      if (!Array.isArray(item) || item.length !== 3 || !isCounter(item[1])) {
        throw new DecodeError('ratchet state: malformed skipped key');
      }
      return {
        dh: b64decode(item[0], { field: 'ratchet.skipped.dh', length: 32, maxLength: 32 }),
        n: item[1],
        messageKey: b64decode(item[2], { field: 'ratchet.skipped.mk', length: 32, maxLength: 32 }),
      };
    });
    const [dhr, ckr] = [key('dhr', true), key('ckr', true)];
    if (dhr === null && ckr !== null) {
      throw new DecodeError('ratchet state: inconsistent receiving chain');
    }
    return new DoubleRatchet({
      associatedData: b64decode(data.ad, { field: 'ratchet.ad', maxLength: 256 }),
      rootKey: key('rk'),
      sendingKey: new X25519KeyPair(key('dhs')),
      remoteKey: dhr,
      sendingChain: key('cks', true),
      receivingChain: ckr,
      ns: counter('ns'),
      nr: counter('nr'),
      pn: counter('pn'),
      skipped: new SkippedKeys(entries),
      rng,
    });
  }
}
