/**
 * The only module that talks to libsodium; everything else builds on these functions.
 * They check types and lengths and translate library errors into the protocol's error tree.
 * Mirrors `crypto.primitives` (docs/protocol.md §1).
 *
 * @module protocol/primitives
 */

import { concat, isBytes } from './encoding.js';
import { DecryptionError, InvalidKeyError, SignatureError } from './errors.js';
import { sodium } from './sodium.js';

export const X25519_BYTES = 32;
export const ED25519_SEED_BYTES = 32;
export const ED25519_PUBLIC_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 24;
export const AEAD_TAG_BYTES = 16;
const HASH_BYTES = 32;

/**
 * A source of randomness: `rng(n)` returns `n` bytes. Protocol functions take one only so
 * that test vectors replay deterministically; the default is {@link randomBytes}.
 * @typedef {(n: number) => Uint8Array} Random
 */

/**
 * Cryptographically secure random bytes (libsodium `randombytes_buf`).
 * @type {Random}
 */
export function randomBytes(n) {
  return sodium().randombytes_buf(n);
}

function checkLength(name, value, size) {
  if (!isBytes(value) || value.length !== size) {
    throw new InvalidKeyError(`${name} must be ${size} bytes`);
  }
}

/**
 * Constant-time comparison (libsodium `sodium_memcmp`); false for different lengths.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 * @returns {boolean}
 */
export function constantTimeEqual(a, b) {
  if (!isBytes(a) || !isBytes(b) || a.length !== b.length) return false;
  return a.length === 0 || sodium().memcmp(a, b);
}

/**
 * HMAC-SHA256 with a key of any length (libsodium `crypto_auth_hmacsha256_init/update/final`).
 * @param {Uint8Array} key
 * @param {Uint8Array} data
 * @returns {Uint8Array} 32 bytes
 */
export function hmacSha256(key, data) {
  if (!isBytes(key) || !isBytes(data)) throw new TypeError('hmacSha256 takes Uint8Arrays');
  const s = sodium();
  const state = s.crypto_auth_hmacsha256_init(key);
  s.crypto_auth_hmacsha256_update(state, data);
  return s.crypto_auth_hmacsha256_final(state);
}

/**
 * SHA-512 (libsodium `crypto_hash_sha512`).
 * @param {Uint8Array} data
 * @returns {Uint8Array} 64 bytes
 */
export function sha512(data) {
  return sodium().crypto_hash_sha512(data);
}

/**
 * HKDF-SHA256 (RFC 5869). An empty salt means 32 zero bytes, as the RFC says.
 * @param {Uint8Array} ikm
 * @param {{salt: Uint8Array, info: Uint8Array, length: number}} options
 * @returns {Uint8Array}
 */
export function hkdfSha256(ikm, { salt, info, length }) {
  if (!Number.isInteger(length) || length <= 0 || length > 255 * HASH_BYTES) {
    throw new RangeError('HKDF output length out of range');
  }
  const prk = hmacSha256(salt.length > 0 ? salt : new Uint8Array(HASH_BYTES), ikm);
  const okm = new Uint8Array(Math.ceil(length / HASH_BYTES) * HASH_BYTES);
  let block = new Uint8Array(0);
  for (let counter = 1; (counter - 1) * HASH_BYTES < length; counter += 1) {
    block = hmacSha256(prk, concat(block, info, Uint8Array.of(counter)));
    okm.set(block, (counter - 1) * HASH_BYTES);
  }
  return okm.slice(0, length);
}

/**
 * The X25519 public key of a private key (`crypto_scalarmult_base`).
 * @param {Uint8Array} privateKey 32 bytes
 * @returns {Uint8Array}
 */
export function x25519Public(privateKey) {
  checkLength('X25519 private key', privateKey, X25519_BYTES);
  return sodium().crypto_scalarmult_base(privateKey);
}

/**
 * X25519 (RFC 7748). libsodium refuses an all-zero result (what every low-order point gives);
 * we check again so the rule does not depend on it.
 * @param {Uint8Array} privateKey
 * @param {Uint8Array} publicKey
 * @returns {Uint8Array} 32 bytes
 * @throws {InvalidKeyError} for a low-order peer key
 */
export function x25519(privateKey, publicKey) {
  checkLength('X25519 private key', privateKey, X25519_BYTES);
  checkLength('X25519 public key', publicKey, X25519_BYTES);
  let shared;
  try {
    shared = sodium().crypto_scalarmult(privateKey, publicKey);
  } catch {
    throw new InvalidKeyError('low-order public key');
  }
  if (constantTimeEqual(shared, new Uint8Array(X25519_BYTES))) {
    throw new InvalidKeyError('low-order public key');
  }
  return shared;
}

function withSecretKey(seed, use) {
  checkLength('Ed25519 seed', seed, ED25519_SEED_BYTES);
  const s = sodium();
  const pair = s.crypto_sign_seed_keypair(seed);
  try {
    return use(pair.privateKey, pair.publicKey);
  } finally {
    s.memzero(pair.privateKey);
  }
}

/**
 * The Ed25519 public key of a 32-byte seed.
 * @param {Uint8Array} seed
 * @returns {Uint8Array}
 */
export function ed25519PublicFromSeed(seed) {
  return withSecretKey(seed, (_secret, publicKey) => publicKey);
}

/**
 * Detached Ed25519 signature (RFC 8032) by the key derived from `seed`.
 * @param {Uint8Array} seed
 * @param {Uint8Array} message
 * @returns {Uint8Array} 64 bytes
 */
export function ed25519Sign(seed, message) {
  return withSecretKey(seed, (secret) => sodium().crypto_sign_detached(message, secret));
}

/**
 * Verify a detached signature (libsodium's strict checks: small-order keys and
 * non-canonical signatures are refused).
 * @param {Uint8Array} publicKey
 * @param {Uint8Array} message
 * @param {Uint8Array} signature
 * @throws {SignatureError}
 */
export function ed25519Verify(publicKey, message, signature) {
  if (!isBytes(publicKey) || publicKey.length !== ED25519_PUBLIC_BYTES) {
    throw new SignatureError('public key must be 32 bytes');
  }
  if (!isBytes(signature) || signature.length !== ED25519_SIGNATURE_BYTES) {
    throw new SignatureError('signature must be 64 bytes');
  }
  let valid = false;
  try {
    valid = sodium().crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    valid = false;
  }
  if (!valid) throw new SignatureError();
}

/**
 * The X25519 form of an Ed25519 public key (`crypto_sign_ed25519_pk_to_curve25519`).
 * @param {Uint8Array} publicKey
 * @returns {Uint8Array}
 * @throws {InvalidKeyError} if the key is not a valid point
 */
export function ed25519PublicToX25519(publicKey) {
  checkLength('Ed25519 public key', publicKey, ED25519_PUBLIC_BYTES);
  try {
    return sodium().crypto_sign_ed25519_pk_to_curve25519(publicKey);
  } catch {
    throw new InvalidKeyError('Ed25519 public key is not a valid point');
  }
}

/**
 * The X25519 private key of an Ed25519 seed (`crypto_sign_ed25519_sk_to_curve25519`).
 * @param {Uint8Array} seed
 * @returns {Uint8Array}
 */
export function ed25519SeedToX25519(seed) {
  return withSecretKey(seed, (secret) => sodium().crypto_sign_ed25519_sk_to_curve25519(secret));
}

/**
 * XChaCha20-Poly1305-IETF; returns ciphertext with the 16-byte tag appended.
 * @param {Uint8Array} key
 * @param {Uint8Array} nonce
 * @param {Uint8Array} plaintext
 * @param {Uint8Array} associatedData
 * @returns {Uint8Array}
 */
export function aeadEncrypt(key, nonce, plaintext, associatedData) {
  checkLength('AEAD key', key, AEAD_KEY_BYTES);
  checkLength('AEAD nonce', nonce, AEAD_NONCE_BYTES);
  return sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext, associatedData, null, nonce, key,
  );
}

/**
 * Decrypt and authenticate.
 * @param {Uint8Array} key
 * @param {Uint8Array} nonce
 * @param {Uint8Array} ciphertext
 * @param {Uint8Array} associatedData
 * @returns {Uint8Array}
 * @throws {DecryptionError} (no detail) if authentication fails
 */
export function aeadDecrypt(key, nonce, ciphertext, associatedData) {
  checkLength('AEAD key', key, AEAD_KEY_BYTES);
  checkLength('AEAD nonce', nonce, AEAD_NONCE_BYTES);
  if (!isBytes(ciphertext) || ciphertext.length < AEAD_TAG_BYTES) throw new DecryptionError();
  try {
    return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
      null, ciphertext, associatedData, nonce, key,
    );
  } catch {
    throw new DecryptionError();
  }
}

/** Bytes a sealed box adds: the ephemeral public key (32) and the Poly1305 tag (16). */
export const SEALED_BOX_OVERHEAD = 48;

/**
 * libsodium's sealed box to an X25519 public key: `epk ‖ crypto_box(message, nonce =
 * BLAKE2b-192(epk ‖ pk), pk, esk)` with `esk = rng(32)`. Built from `crypto_box_easy` so that a
 * fixed `rng` replays the vectors; byte for byte what `crypto_box_seal` makes.
 * @param {Uint8Array} message
 * @param {Uint8Array} publicKey
 * @param {Random} [rng]
 * @returns {Uint8Array}
 */
export function cryptoBoxSeal(message, publicKey, rng = randomBytes) {
  checkLength('X25519 public key', publicKey, X25519_BYTES);
  const s = sodium();
  const ephemeralSecret = rng(X25519_BYTES);
  checkLength('ephemeral key', ephemeralSecret, X25519_BYTES);
  const ephemeralPublic = s.crypto_scalarmult_base(ephemeralSecret);
  const nonce = s.crypto_generichash(24, concat(ephemeralPublic, publicKey), null);
  try {
    return concat(ephemeralPublic, s.crypto_box_easy(message, nonce, publicKey, ephemeralSecret));
  } catch {
    throw new InvalidKeyError('unusable X25519 public key');
  }
}

/**
 * Open a sealed box (`crypto_box_seal_open`).
 * @param {Uint8Array} sealed
 * @param {Uint8Array} publicKey
 * @param {Uint8Array} privateKey
 * @returns {Uint8Array}
 * @throws {DecryptionError} (no detail) if it was not sealed to this key or was altered
 */
export function cryptoBoxSealOpen(sealed, publicKey, privateKey) {
  checkLength('X25519 public key', publicKey, X25519_BYTES);
  checkLength('X25519 private key', privateKey, X25519_BYTES);
  if (!isBytes(sealed) || sealed.length < SEALED_BOX_OVERHEAD) throw new DecryptionError();
  try {
    return sodium().crypto_box_seal_open(sealed, publicKey, privateKey);
  } catch {
    throw new DecryptionError();
  }
}
