/**
 * The exact bytes a device signs to prove it holds an identity key (docs/protocol.md §12),
 * mirroring `crypto/statements.py` byte for byte (crypto/vectors.json `statements`):
 *
 *     registration   lp("peerhaven/register/v1") ‖ lp(origin) ‖ lp(normalised code) ‖ lp(key)
 *     login          lp("peerhaven/login/v1")    ‖ lp(origin) ‖ lp(nonce)           ‖ lp(key)
 *     room identity  lp("peerhaven/v1/room-identity")
 *                    ‖ lp(origin) ‖ lp(room id) ‖ lp(member id) ‖ room key (unprefixed)
 *
 * Each function returns exactly the bytes given to Ed25519: sign them with
 * `IdentityKeyPair.sign`, check them with {@link verifyStatement}.
 *
 * @module protocol/statements
 */

import { concat, lp, utf8 } from './encoding.js';
import { domainMessage, verifySignature } from './keys.js';

export const REGISTER_LABEL = 'peerhaven/register/v1';
export const LOGIN_LABEL = 'peerhaven/login/v1';
export const ROOM_IDENTITY_DOMAIN = 'peerhaven/v1/room-identity';

/**
 * The form of an invite code that is hashed and signed: spaces and hyphens removed, upper
 * case. Only those two separators go (a tab stays, and the server refuses the code), exactly
 * as the server normalises it. Never throws.
 * @param {string} code
 */
export const normaliseInviteCode = (code) => code.replace(/[ -]/g, '').toUpperCase();

/** What a new device signs to redeem `inviteCode` (normalised here). */
export function registrationStatement({ origin, inviteCode, identityKey }) {
  return concat(lp(utf8(REGISTER_LABEL)), lp(utf8(origin)),
    lp(utf8(normaliseInviteCode(inviteCode))), lp(identityKey));
}

/** What a device signs to answer a login challenge with the server's `nonce` (bytes). */
export function loginStatement({ origin, nonce, identityKey }) {
  return concat(lp(utf8(LOGIN_LABEL)), lp(utf8(origin)), lp(nonce), lp(identityKey));
}

/**
 * What a device signs with its *device* key to register `roomKey` as its identity in a room;
 * `roomId` and `memberId` are the canonical UUID texts.
 */
export function roomIdentityStatement({ origin, roomId, memberId, roomKey }) {
  return domainMessage(ROOM_IDENTITY_DOMAIN,
    concat(lp(utf8(origin)), lp(utf8(roomId)), lp(utf8(memberId)), roomKey));
}

/**
 * Check a signature over a statement built above.
 * @throws {import('./errors.js').SignatureError} for a bad signature, key or length alike
 */
export function verifyStatement(identityKey, statement, signature) {
  verifySignature(identityKey, statement, signature);
}
