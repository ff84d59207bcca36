/**
 * Identity keys, prekeys and the public prekey bundle (docs/protocol.md §2). Mirrors
 * `crypto.keys`.
 *
 * Secrets live in private fields: `toString()`, `JSON.stringify` and Node's `util.inspect`
 * show only a short prefix of the public key. Signatures are always over a domain-separated
 * message (`lp(domain) ‖ payload`), so a signature made for one purpose can never be accepted
 * for another.
 *
 * @module protocol/keys
 */

import { b64decode, b64encode, concat, isBytes, lp, toHex, u32, utf8 } from './encoding.js';
import { DecodeError, InvalidKeyError } from './errors.js';
import { isObject, pyRepr } from './json.js';
import * as p from './primitives.js';

export const SIGNED_PREKEY_DOMAIN = 'peerhaven/v1/signed-prekey';
const MAX_KEY_ID = 0xffffffff;
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

const short = (publicKey) => `${toHex(publicKey.subarray(0, 4))}…`;

/**
 * @param {unknown} keyId
 * @throws {InvalidKeyError} unless an integer in [0, 2**32)
 */
export function checkKeyId(keyId) {
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > MAX_KEY_ID) {
    throw new InvalidKeyError('key id must be an integer in [0, 2**32)');
  }
}

const asBytes = (value) => (typeof value === 'string' ? utf8(value) : value);

/**
 * The exact bytes signed for a purpose: `u32(len(domain)) ‖ domain ‖ payload`.
 * @param {string|Uint8Array} domain non-empty, e.g. "peerhaven/v1/signed-prekey"
 * @param {Uint8Array} payload
 * @returns {Uint8Array}
 */
export function domainMessage(domain, payload) {
  const bytes = asBytes(domain);
  if (!isBytes(bytes) || bytes.length === 0) throw new TypeError('domain must not be empty');
  return concat(lp(bytes), payload);
}

/**
 * Verify a detached Ed25519 signature over exact bytes.
 * @param {Uint8Array} publicKey
 * @param {Uint8Array} message
 * @param {Uint8Array} signature
 * @throws {SignatureError}
 */
export function verifySignature(publicKey, message, signature) {
  p.ed25519Verify(publicKey, message, signature);
}

/**
 * Verify a signature made by {@link signWithDomain}.
 * @param {Uint8Array} publicKey
 * @param {string|Uint8Array} domain
 * @param {Uint8Array} payload
 * @param {Uint8Array} signature
 * @throws {SignatureError}
 */
export function verifyWithDomain(publicKey, domain, payload, signature) {
  p.ed25519Verify(publicKey, domainMessage(domain, payload), signature);
}

/**
 * Sign `payload` for the purpose named by `domain`.
 * @param {IdentityKeyPair} identity
 * @param {string|Uint8Array} domain
 * @param {Uint8Array} payload
 * @returns {Uint8Array} 64-byte signature
 */
export function signWithDomain(identity, domain, payload) {
  return identity.sign(domainMessage(domain, payload));
}

/** A device's long-term Ed25519 identity; its X25519 form is used for X3DH. */
export class IdentityKeyPair {
  #seed;

  /** @param {Uint8Array} seed 32 bytes */
  constructor(seed) {
    this.publicKey = p.ed25519PublicFromSeed(seed);
    this.#seed = Uint8Array.from(seed);
    Object.freeze(this);
  }

  /** @param {import('./primitives.js').Random} [rng] */
  static generate(rng = p.randomBytes) {
    return new IdentityKeyPair(rng(p.ED25519_SEED_BYTES));
  }

  /** The 32-byte secret seed. Store it only encrypted. */
  get seed() {
    return Uint8Array.from(this.#seed);
  }

  /** @param {Uint8Array} message @returns {Uint8Array} */
  sign(message) {
    return p.ed25519Sign(this.#seed, message);
  }

  /** X25519 private key for Diffie-Hellman. */
  get dhPrivateKey() {
    return p.ed25519SeedToX25519(this.#seed);
  }

  /** X25519 public key for Diffie-Hellman. */
  get dhPublicKey() {
    return p.ed25519PublicToX25519(this.publicKey);
  }

  toString() {
    return `IdentityKeyPair(publicKey=${short(this.publicKey)})`;
  }

  toJSON() {
    return { publicKey: b64encode(this.publicKey) };
  }

  [INSPECT]() {
    return this.toString();
  }
}

/** An X25519 key pair (prekeys, ephemeral and ratchet keys). */
export class X25519KeyPair {
  #privateKey;

  /** @param {Uint8Array} privateKey 32 bytes */
  constructor(privateKey) {
    this.publicKey = p.x25519Public(privateKey);
    this.#privateKey = Uint8Array.from(privateKey);
    Object.freeze(this);
  }

  /** @param {import('./primitives.js').Random} [rng] */
  static generate(rng = p.randomBytes) {
    return new X25519KeyPair(rng(p.X25519_BYTES));
  }

  /** The 32-byte private key. Store it only encrypted. */
  get privateKey() {
    return Uint8Array.from(this.#privateKey);
  }

  /** @param {Uint8Array} publicKey @returns {Uint8Array} DH output (checked, see primitives) */
  dh(publicKey) {
    return p.x25519(this.#privateKey, publicKey);
  }

  toString() {
    return `X25519KeyPair(publicKey=${short(this.publicKey)})`;
  }

  toJSON() {
    return { publicKey: b64encode(this.publicKey) };
  }

  [INSPECT]() {
    return this.toString();
  }
}

/**
 * A medium-term X25519 prekey, signed by the identity key over
 * `domainMessage(SIGNED_PREKEY_DOMAIN, u32(keyId) ‖ publicKey)`.
 */
export class SignedPreKey {
  /**
   * @param {number} keyId
   * @param {X25519KeyPair} keyPair
   * @param {Uint8Array} signature
   */
  constructor(keyId, keyPair, signature) {
    checkKeyId(keyId);
    this.keyId = keyId;
    this.keyPair = keyPair;
    this.signature = signature;
    Object.freeze(this);
  }

  /** @param {number} keyId @param {Uint8Array} publicKey @returns {Uint8Array} */
  static signedPayload(keyId, publicKey) {
    return concat(u32(keyId), publicKey);
  }

  /**
   * @param {IdentityKeyPair} identity
   * @param {number} keyId
   * @param {import('./primitives.js').Random} [rng]
   */
  static generate(identity, keyId, rng = p.randomBytes) {
    checkKeyId(keyId);
    const pair = X25519KeyPair.generate(rng);
    const payload = SignedPreKey.signedPayload(keyId, pair.publicKey);
    return new SignedPreKey(keyId, pair, signWithDomain(identity, SIGNED_PREKEY_DOMAIN, payload));
  }

  get publicKey() {
    return this.keyPair.publicKey;
  }

  toString() {
    return `SignedPreKey(keyId=${this.keyId}, publicKey=${short(this.publicKey)})`;
  }

  [INSPECT]() {
    return this.toString();
  }
}

/** A single-use X25519 prekey; the server hands each to at most one initiator. */
export class OneTimePreKey {
  /** @param {number} keyId @param {X25519KeyPair} keyPair */
  constructor(keyId, keyPair) {
    checkKeyId(keyId);
    this.keyId = keyId;
    this.keyPair = keyPair;
    Object.freeze(this);
  }

  /** @param {number} keyId @param {import('./primitives.js').Random} [rng] */
  static generate(keyId, rng = p.randomBytes) {
    checkKeyId(keyId);
    return new OneTimePreKey(keyId, X25519KeyPair.generate(rng));
  }

  get publicKey() {
    return this.keyPair.publicKey;
  }

  toString() {
    return `OneTimePreKey(keyId=${this.keyId}, publicKey=${short(this.publicKey)})`;
  }

  [INSPECT]() {
    return this.toString();
  }
}

const BUNDLE_FIELDS = new Set(['ik', 'spk_id', 'spk', 'spk_sig', 'opk_id', 'opk']);

/**
 * What an initiator fetches for a responder device (docs/protocol.md §2.2). Public data only.
 * The constructor checks lengths and ids; {@link PreKeyBundle#verify} checks the signature.
 */
export class PreKeyBundle {
  /**
   * @param {{identityKey: Uint8Array, signedPrekeyId: number, signedPrekey: Uint8Array,
   *   signedPrekeySignature: Uint8Array, oneTimePrekeyId?: number|null,
   *   oneTimePrekey?: Uint8Array|null}} fields
   * @throws {InvalidKeyError}
   */
  constructor({
    identityKey, signedPrekeyId, signedPrekey, signedPrekeySignature,
    oneTimePrekeyId = null, oneTimePrekey = null,
  }) {
    for (const [name, value, size] of [
      ['identity_key', identityKey, p.ED25519_PUBLIC_BYTES],
      ['signed_prekey', signedPrekey, p.X25519_BYTES],
      ['signed_prekey_signature', signedPrekeySignature, p.ED25519_SIGNATURE_BYTES],
    ]) {
      if (!isBytes(value) || value.length !== size) {
        throw new InvalidKeyError(`${name} must be ${size} bytes`);
      }
    }
    checkKeyId(signedPrekeyId);
    if ((oneTimePrekeyId === null) !== (oneTimePrekey === null)) {
      throw new InvalidKeyError('one_time_prekey and its id go together');
    }
    if (oneTimePrekeyId !== null) {
      checkKeyId(oneTimePrekeyId);
      if (!isBytes(oneTimePrekey) || oneTimePrekey.length !== p.X25519_BYTES) {
        throw new InvalidKeyError('one_time_prekey must be 32 bytes');
      }
    }
    Object.assign(this, {
      identityKey, signedPrekeyId, signedPrekey, signedPrekeySignature,
      oneTimePrekeyId, oneTimePrekey,
    });
    Object.freeze(this);
  }

  /**
   * The bundle a device publishes.
   * @param {IdentityKeyPair} identity
   * @param {SignedPreKey} signedPrekey
   * @param {OneTimePreKey|null} [oneTimePrekey]
   */
  static create(identity, signedPrekey, oneTimePrekey = null) {
    return new PreKeyBundle({
      identityKey: identity.publicKey,
      signedPrekeyId: signedPrekey.keyId,
      signedPrekey: signedPrekey.publicKey,
      signedPrekeySignature: signedPrekey.signature,
      oneTimePrekeyId: oneTimePrekey?.keyId ?? null,
      oneTimePrekey: oneTimePrekey?.publicKey ?? null,
    });
  }

  /**
   * Check the signed-prekey signature and that the identity key has an X25519 form.
   * @throws {SignatureError|InvalidKeyError}
   */
  verify() {
    const payload = SignedPreKey.signedPayload(this.signedPrekeyId, this.signedPrekey);
    verifyWithDomain(this.identityKey, SIGNED_PREKEY_DOMAIN, payload, this.signedPrekeySignature);
    p.ed25519PublicToX25519(this.identityKey);
  }

  /** The wire form: `{"ik", "spk_id", "spk", "spk_sig"[, "opk_id", "opk"]}`. */
  toJSON() {
    const out = {
      ik: b64encode(this.identityKey),
      spk_id: this.signedPrekeyId,
      spk: b64encode(this.signedPrekey),
      spk_sig: b64encode(this.signedPrekeySignature),
    };
    if (this.oneTimePrekey !== null) {
      out.opk_id = this.oneTimePrekeyId;
      out.opk = b64encode(this.oneTimePrekey);
    }
    return out;
  }

  /**
   * Parse and verify a bundle (an already parsed JSON object).
   * @param {unknown} data
   * @returns {PreKeyBundle}
   * @throws {DecodeError|SignatureError|InvalidKeyError}
   */
  static fromJSON(data) {
    if (!isObject(data)) {
      throw new DecodeError('bundle: expected an object');
    }
    const unknown = Object.keys(data).filter((k) => !BUNDLE_FIELDS.has(k)).sort();
    if (unknown.length > 0) {
      throw new DecodeError(`bundle: unknown fields ${pyRepr(unknown)}`);
    }
    const key = (name, size) =>
      b64decode(data[name], { field: `bundle.${name}`, length: size, maxLength: size });
    let bundle;
    try {
      bundle = new PreKeyBundle({
        identityKey: key('ik', 32),
        signedPrekeyId: data.spk_id,
        signedPrekey: key('spk', 32),
        signedPrekeySignature: key('spk_sig', 64),
        oneTimePrekeyId: data.opk_id ?? null,
        oneTimePrekey: 'opk' in data ? key('opk', 32) : null,
      });
    } catch (error) {
      if (error instanceof InvalidKeyError) throw new DecodeError(`bundle: ${error.message}`);
      throw error;
    }
    bundle.verify();
    return bundle;
  }
}
