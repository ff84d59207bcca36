/**
 * A conversation between two devices in one room: X3DH + Double Ratchet + franking +
 * envelope (docs/protocol.md §7). Mirrors `crypto.session`; nothing here does I/O.
 *
 *     const session = initiateSession(alice, bobBundle, { room, device, peerDevice });
 *     const envelope = session.encrypt(bytes);          // envelope.encode() for the wire
 *     const { session: bobSession, message } = acceptSession(bob, spk, opk, envelope, { device });
 *     const reply = bobSession.encrypt(bytes); session.decrypt(reply);
 *
 * Persisting `session.toBytes()` (encrypted at rest) is the caller's job.
 *
 * @module protocol/session
 */

import { b64decode, b64encode, canonicalJson, isBytes } from './encoding.js';
import { DecodeError, DecryptionError, FrankingError, LimitError } from './errors.js';
import { isObject, parseJson } from './json.js';
import {
  Envelope, EnvelopeType, MAX_PLAINTEXT_BYTES, envelopeAssociatedData, validateId,
} from './envelope.js';
import { FRANKING_KEY_BYTES, commit, newFrankingKey, verifyCommitment } from './franking.js';
import * as p from './primitives.js';
import { DoubleRatchet } from './ratchet.js';
import { X3DHHeader, x3dhInitiate, x3dhRespond } from './x3dh.js';

const STATE_VERSION = 1;
export const MAX_STATE_BYTES = 1 << 20;
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** A decrypted, commitment-checked message. Keep `frankingKey` to be able to report it. */
export class ReceivedMessage {
  #frankingKey;

  /** @param {{plaintext: Uint8Array, frankingKey: Uint8Array, commitment: Uint8Array,
   *   messageId: string, sender: string, room: string}} fields */
  constructor({ plaintext, frankingKey, commitment, messageId, sender, room }) {
    this.#frankingKey = frankingKey;
    Object.assign(this, { plaintext, commitment, messageId, sender, room });
    Object.freeze(this);
  }

  /** The franking key, revealed only in a report. */
  get frankingKey() {
    return this.#frankingKey;
  }

  toString() {
    return `ReceivedMessage(messageId=${this.messageId}, sender=${this.sender})`;
  }

  toJSON() {
    return { messageId: this.messageId, sender: this.sender, room: this.room };
  }

  [INSPECT]() {
    return this.toString();
  }
}

function openPayload(envelope, payload) {
  if (payload.length < FRANKING_KEY_BYTES) throw new FrankingError();
  const frankingKey = payload.slice(0, FRANKING_KEY_BYTES);
  const plaintext = payload.slice(FRANKING_KEY_BYTES);
  verifyCommitment(frankingKey, plaintext, envelope.commitment);
  return new ReceivedMessage({
    plaintext,
    frankingKey,
    commitment: envelope.commitment,
    messageId: envelope.messageId,
    sender: envelope.sender,
    room: envelope.room,
  });
}

/** One side of an end-to-end encrypted conversation with one peer device in one room. */
export class Session {
  #ratchet; #awaitingReply; #rng;

  /** @private Use {@link initiateSession}, {@link acceptSession} or {@link Session.fromBytes}. */
  constructor(ratchet, {
    room, device, peerDevice, peerIdentityKey, handshake, awaitingReply, rng = p.randomBytes,
  }) {
    this.#ratchet = ratchet;
    this.room = validateId('room', room);
    this.device = validateId('device', device);
    this.peerDevice = validateId('peer_device', peerDevice);
    this.peerIdentityKey = peerIdentityKey;
    this.handshake = handshake;
    this.#awaitingReply = awaitingReply;
    this.#rng = rng;
  }

  toString() {
    const { room, device, peerDevice } = this;
    return `Session(room=${room}, device=${device}, peerDevice=${peerDevice}, ${this.#ratchet})`;
  }

  toJSON() {
    return { room: this.room, device: this.device, peerDevice: this.peerDevice };
  }

  [INSPECT]() {
    return this.toString();
  }

  /** The Double Ratchet (for tests and diagnostics; its `toString` shows no secrets). */
  get ratchet() {
    return this.#ratchet;
  }

  /**
   * True for the initiator until it has decrypted a message from the peer; until then every
   * envelope is a `prekey` envelope carrying {@link Session#handshake}.
   */
  get awaitingReply() {
    return this.#awaitingReply;
  }

  /**
   * Whether `header` (from a `prekey` envelope) belongs to this session's X3DH. If not, the
   * peer started a new session: use {@link acceptSession}.
   * @param {X3DHHeader} header
   */
  isSameHandshake(header) {
    return this.handshake.equals(header);
  }

  /**
   * Encrypt `plaintext` (at most 64 KiB) into an envelope.
   * @param {Uint8Array} plaintext
   * @param {{messageId?: string}} [options] the client message id the server de-duplicates
   *   on; by default 16 random bytes as base64url
   * @returns {Envelope}
   * @throws {LimitError|DecodeError|CryptoError}
   */
  encrypt(plaintext, { messageId } = {}) {
    if (!isBytes(plaintext)) throw new TypeError('plaintext must be a Uint8Array');
    if (plaintext.length > MAX_PLAINTEXT_BYTES) {
      throw new LimitError(`plaintext larger than ${MAX_PLAINTEXT_BYTES} bytes`);
    }
    const id = messageId ?? b64encode(this.#rng(16));
    const frankingKey = newFrankingKey(this.#rng);
    const pending = this.#awaitingReply ? this.handshake : null;
    const fields = {
      type: pending === null ? EnvelopeType.MESSAGE : EnvelopeType.PREKEY,
      room: this.room,
      sender: this.device,
      messageId: validateId('message_id', id),
      x3dh: pending,
      commitment: commit(frankingKey, plaintext),
    };
    const payload = new Uint8Array(FRANKING_KEY_BYTES + plaintext.length);
    payload.set(frankingKey);
    payload.set(plaintext, FRANKING_KEY_BYTES);
    const { header, ciphertext } = this.#ratchet.encrypt(payload, envelopeAssociatedData(fields));
    return new Envelope({ ...fields, header, ciphertext });
  }

  /**
   * Decrypt and check the franking commitment.
   * @param {Envelope} envelope
   * @returns {ReceivedMessage}
   * @throws {DecryptionError} (the session is unchanged), {ReplayError} for a message already
   *   received, {FrankingError} for an authentic message whose commitment does not verify
   *   (that message is discarded, its key consumed)
   */
  decrypt(envelope) {
    if (envelope.room !== this.room || envelope.sender !== this.peerDevice) {
      throw new DecryptionError();
    }
    const { header, ciphertext } = envelope;
    const payload = this.#ratchet.decrypt(header, ciphertext, envelope.associatedData());
    this.#awaitingReply = false; // the peer has our session: stop sending X3DH headers
    return openPayload(envelope, payload);
  }

  /** Serialised state (canonical JSON, the Python layout). Contains secrets: encrypt it at rest. */
  toBytes() {
    const x3dh = this.handshake;
    return canonicalJson({
      v: STATE_VERSION,
      room: this.room,
      device: this.device,
      peer_device: this.peerDevice,
      peer_ik: b64encode(this.peerIdentityKey),
      handshake: {
        ik: b64encode(x3dh.identityKey),
        ek: b64encode(x3dh.ephemeralKey),
        spk: x3dh.signedPrekeyId,
        opk: x3dh.oneTimePrekeyId,
      },
      awaiting_reply: this.#awaitingReply,
      ratchet: this.#ratchet.toState(),
    });
  }

  /**
   * Restore a session written by `toBytes` (here or by the Python implementation).
   * @param {Uint8Array} data
   * @param {{rng?: import('./primitives.js').Random}} [options]
   * @returns {Session}
   * @throws {DecodeError}
   */
  static fromBytes(data, { rng = p.randomBytes } = {}) {
    if (!isBytes(data)) throw new DecodeError('session state: expected bytes');
    if (data.length > MAX_STATE_BYTES) throw new DecodeError('session state: too large');
    let obj;
    try {
      obj = parseJson(new TextDecoder('utf-8', { fatal: true }).decode(data), 'session state');
    } catch {
      throw new DecodeError('session state: not JSON');
    }
    if (!isObject(obj) || obj.v !== STATE_VERSION) {
      throw new DecodeError('session state: unsupported version');
    }
    const raw = obj.handshake;
    if (!isObject(raw) || typeof obj.awaiting_reply !== 'boolean') {
      throw new DecodeError('session state: malformed handshake');
    }
    let handshake;
    try {
      handshake = new X3DHHeader({
        identityKey: b64decode(raw.ik, { field: 'ik', length: 32, maxLength: 32 }),
        ephemeralKey: b64decode(raw.ek, { field: 'ek', length: 32, maxLength: 32 }),
        signedPrekeyId: raw.spk,
        oneTimePrekeyId: raw.opk ?? null,
      });
    } catch {
      throw new DecodeError('session state: malformed handshake');
    }
    return new Session(DoubleRatchet.fromState(obj.ratchet, rng), {
      room: validateId('room', obj.room),
      device: validateId('device', obj.device),
      peerDevice: validateId('peer_device', obj.peer_device),
      peerIdentityKey: b64decode(obj.peer_ik, { field: 'peer_ik', length: 32, maxLength: 32 }),
      handshake,
      awaitingReply: obj.awaiting_reply,
      rng,
    });
  }
}

/**
 * Start a session from the peer's prekey bundle (verified here). Messages carry the X3DH
 * header until the peer replies.
 * @param {import('./keys.js').IdentityKeyPair} identity
 * @param {import('./keys.js').PreKeyBundle} bundle
 * @param {{room: string, device: string, peerDevice: string,
 *   rng?: import('./primitives.js').Random}} options
 * @returns {Session}
 * @throws {SignatureError|InvalidKeyError|DecodeError}
 */
export function initiateSession(identity, bundle, {
  room, device, peerDevice, rng = p.randomBytes,
}) {
  const { sharedKey, associatedData, header } = x3dhInitiate(identity, bundle, rng);
  const ratchet = DoubleRatchet.initiator(sharedKey, associatedData, bundle.signedPrekey, rng);
  return new Session(ratchet, {
    room, device, peerDevice, peerIdentityKey: bundle.identityKey,
    handshake: header, awaitingReply: true, rng,
  });
}

/**
 * Create the responder's session from a `prekey` envelope and decrypt it. The caller looks
 * up the prekeys named in `envelope.x3dh` and, on success, deletes the one-time prekey.
 * Nothing is created if this throws.
 * @param {import('./keys.js').IdentityKeyPair} identity
 * @param {import('./keys.js').SignedPreKey} signedPrekey
 * @param {import('./keys.js').OneTimePreKey|null} oneTimePrekey
 * @param {Envelope} envelope
 * @param {{device: string, rng?: import('./primitives.js').Random}} options
 * @returns {{session: Session, message: ReceivedMessage}}
 * @throws {DecryptionError|InvalidKeyError|DecodeError}
 */
export function acceptSession(identity, signedPrekey, oneTimePrekey, envelope, {
  device, rng = p.randomBytes,
}) {
  if (envelope.x3dh === null) throw new DecodeError('envelope: not a prekey message');
  const { sharedKey, associatedData } = x3dhRespond(
    identity, signedPrekey, oneTimePrekey, envelope.x3dh,
  );
  const ratchet = DoubleRatchet.responder(sharedKey, associatedData, signedPrekey.keyPair, rng);
  const session = new Session(ratchet, {
    room: envelope.room, device, peerDevice: envelope.sender,
    peerIdentityKey: envelope.x3dh.identityKey, handshake: envelope.x3dh, awaitingReply: false, rng,
  });
  return { session, message: session.decrypt(envelope) };
}
