/**
 * X3DH key agreement (docs/protocol.md §3). Mirrors `crypto.x3dh`.
 *
 *     DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)   DH4 = DH(EK_A, OPK_B)
 *     SK  = HKDF(salt = 32 zero bytes, ikm = 32 × 0xFF ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4],
 *                info = X3DH_INFO, L = 32)
 *     AD  = IK_A ‖ IK_B       (Ed25519 public keys, initiator first)
 *
 * Identity keys take part through their X25519 form; every DH output is checked.
 *
 * @module protocol/x3dh
 */

import { concat, isBytes, u32, u8, utf8 } from './encoding.js';
import { InvalidKeyError } from './errors.js';
import { X25519KeyPair, checkKeyId } from './keys.js';
import * as p from './primitives.js';

export const X3DH_INFO = 'Peerhaven X3DH v1';
export const X3DH_HEADER_BYTES = 73;

/** Sent by the initiator with every message until the responder has replied. */
export class X3DHHeader {
  /**
   * @param {{identityKey: Uint8Array, ephemeralKey: Uint8Array, signedPrekeyId: number,
   *   oneTimePrekeyId?: number|null}} fields
   * @throws {InvalidKeyError}
   */
  constructor({ identityKey, ephemeralKey, signedPrekeyId, oneTimePrekeyId = null }) {
    if (!isBytes(identityKey) || identityKey.length !== p.ED25519_PUBLIC_BYTES) {
      throw new InvalidKeyError('identity_key must be 32 bytes');
    }
    if (!isBytes(ephemeralKey) || ephemeralKey.length !== p.X25519_BYTES) {
      throw new InvalidKeyError('ephemeral_key must be 32 bytes');
    }
    checkKeyId(signedPrekeyId);
    if (oneTimePrekeyId !== null) checkKeyId(oneTimePrekeyId);
    Object.assign(this, { identityKey, ephemeralKey, signedPrekeyId, oneTimePrekeyId });
    Object.freeze(this);
  }

  /** 73 bytes: `IK (32) ‖ EK (32) ‖ u32(spk_id) ‖ u8(has_opk) ‖ u32(opk_id or 0)`. */
  toBytes() {
    const hasOpk = this.oneTimePrekeyId !== null;
    return concat(
      this.identityKey,
      this.ephemeralKey,
      u32(this.signedPrekeyId),
      u8(hasOpk ? 1 : 0),
      u32(this.oneTimePrekeyId ?? 0),
    );
  }

  /** @param {X3DHHeader|null|undefined} other @returns {boolean} */
  equals(other) {
    return other instanceof X3DHHeader && p.constantTimeEqual(this.toBytes(), other.toBytes());
  }
}

/**
 * The outcome of X3DH. `sharedKey` is secret.
 * @typedef {{sharedKey: Uint8Array, associatedData: Uint8Array, header: X3DHHeader}} X3DHResult
 */

/**
 * SK from DH1..DH3[, DH4].
 * @param {Uint8Array[]} dhOutputs
 * @returns {Uint8Array} 32 bytes
 */
export function deriveSharedKey(dhOutputs) {
  if (dhOutputs.length !== 3 && dhOutputs.length !== 4) {
    throw new RangeError('X3DH needs three or four DH outputs');
  }
  const ikm = concat(new Uint8Array(32).fill(0xff), ...dhOutputs);
  return p.hkdfSha256(ikm, { salt: new Uint8Array(32), info: utf8(X3DH_INFO), length: 32 });
}

/**
 * Initiator side. Verifies the bundle first.
 * @param {import('./keys.js').IdentityKeyPair} identity
 * @param {import('./keys.js').PreKeyBundle} bundle
 * @param {import('./primitives.js').Random} [rng]
 * @returns {X3DHResult}
 * @throws {SignatureError|InvalidKeyError}
 */
export function x3dhInitiate(identity, bundle, rng = p.randomBytes) {
  bundle.verify();
  const ephemeral = X25519KeyPair.generate(rng);
  const remoteIk = p.ed25519PublicToX25519(bundle.identityKey);
  const dhs = [
    p.x25519(identity.dhPrivateKey, bundle.signedPrekey),
    ephemeral.dh(remoteIk),
    ephemeral.dh(bundle.signedPrekey),
  ];
  if (bundle.oneTimePrekey !== null) dhs.push(ephemeral.dh(bundle.oneTimePrekey));
  const header = new X3DHHeader({
    identityKey: identity.publicKey,
    ephemeralKey: ephemeral.publicKey,
    signedPrekeyId: bundle.signedPrekeyId,
    oneTimePrekeyId: bundle.oneTimePrekeyId,
  });
  return {
    sharedKey: deriveSharedKey(dhs),
    associatedData: concat(identity.publicKey, bundle.identityKey),
    header,
  };
}

/**
 * Responder side. The caller looks up the prekeys named in `header` (and deletes the
 * one-time prekey once the first message has decrypted).
 * @param {import('./keys.js').IdentityKeyPair} identity
 * @param {import('./keys.js').SignedPreKey} signedPrekey
 * @param {import('./keys.js').OneTimePreKey|null} oneTimePrekey
 * @param {X3DHHeader} header
 * @returns {X3DHResult}
 * @throws {InvalidKeyError} prekey id mismatch, invalid identity key, low-order key
 */
export function x3dhRespond(identity, signedPrekey, oneTimePrekey, header) {
  if (header.signedPrekeyId !== signedPrekey.keyId) {
    throw new InvalidKeyError('signed prekey id does not match the header');
  }
  if (header.oneTimePrekeyId !== (oneTimePrekey?.keyId ?? null)) {
    throw new InvalidKeyError('one-time prekey does not match the header');
  }
  const remoteIk = p.ed25519PublicToX25519(header.identityKey);
  const spk = signedPrekey.keyPair;
  const dhs = [
    spk.dh(remoteIk),
    p.x25519(identity.dhPrivateKey, header.ephemeralKey),
    spk.dh(header.ephemeralKey),
  ];
  if (oneTimePrekey) dhs.push(oneTimePrekey.keyPair.dh(header.ephemeralKey));
  return {
    sharedKey: deriveSharedKey(dhs),
    associatedData: concat(header.identityKey, identity.publicKey),
    header,
  };
}
