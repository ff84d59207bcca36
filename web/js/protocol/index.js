/**
 * Peerhaven's end-to-end protocol for the browser (docs/protocol.md), the same protocol as the
 * Python package `crypto/`, checked against its test vectors (web/tests/).
 *
 *     import * as protocol from './js/protocol/index.js';
 *     await protocol.ready();                                   // once: loads libsodium
 *     const session = protocol.initiateSession(identity, bundle, { room, device, peerDevice });
 *
 * Clients use `ready`, `IdentityKeyPair`, `SignedPreKey`, `OneTimePreKey`, `PreKeyBundle`,
 * `initiateSession`, `acceptSession`, `Session`, `Envelope`, `safetyNumber`, `PeerPin` and the
 * errors.
 * The other modules (primitives, x3dh, ratchet, …) can be imported directly by tests.
 *
 * @module protocol
 */

export { ready } from './sodium.js';
export {
  CryptoError, DecodeError, DecryptionError, FrankingError, IdentityKeyChanged, InvalidKeyError,
  KeystoreError, LimitError, ReplayError, ReportError, SignatureError, SkippedMessageLimitError,
} from './errors.js';
export { PeerPin } from './pinning.js';
export { b64decode, b64encode, canonicalJson } from './encoding.js';
export {
  ENVELOPE_VERSION, Envelope, EnvelopeType, MAX_ENVELOPE_BYTES, MAX_PLAINTEXT_BYTES,
} from './envelope.js';
export { displayableFingerprint, formatSafetyNumber, safetyNumber } from './fingerprint.js';
export { commit, serverTag, verifyCommitment, verifyReport } from './franking.js';
export {
  IdentityKeyPair, OneTimePreKey, PreKeyBundle, SIGNED_PREKEY_DOMAIN, SignedPreKey,
  signWithDomain, verifySignature, verifyWithDomain,
} from './keys.js';
export {
  CloseCode, ErrorCode, FINAL_SEND_ERRORS, MAX_ACK_IDS, isFinalSendError,
} from './relay.js';
export {
  LOGIN_LABEL, REGISTER_LABEL, ROOM_IDENTITY_DOMAIN, loginStatement, normaliseInviteCode,
  registrationStatement, roomIdentityStatement, verifyStatement,
} from './statements.js';
export { X3DHHeader } from './x3dh.js';
export { ReceivedMessage, Session, acceptSession, initiateSession } from './session.js';
