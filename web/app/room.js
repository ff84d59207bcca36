/**
 * One room as this device sees it: its room-scoped identity and prekeys (docs/protocol.md
 * §12.1), its sessions, the peer's pseudonym and the conversation. Mirrors
 * `client/conversation.py`: the current session and the previous one are both kept, so two
 * members who start X3DH at the same moment converge on whichever session the peer speaks.
 *
 * The peer's room identity key is pinned (`js/protocol/pinning.js`, docs/protocol.md §7.2): the
 * first session trusts it; a bundle or handshake with another key is refused
 * (`IdentityKeyChanged`) and kept as offered until the user accepts it (`acceptKeyChange`), which
 * clears "verified". The safety number is always that of the current session's keys.
 *
 * Persisting is the caller's job (`toRecord()` into the vault, after every change).
 *
 * @module app/room
 */

import { b64decode, b64encode } from '../js/protocol/encoding.js';
import { DecryptionError, InvalidKeyError } from '../js/protocol/errors.js';
import {
  IdentityKeyPair, OneTimePreKey, PreKeyBundle, SignedPreKey, X25519KeyPair,
} from '../js/protocol/keys.js';
import { formatSafetyNumber, safetyNumber } from '../js/protocol/fingerprint.js';
import { PeerPin } from '../js/protocol/pinning.js';
import { randomBytes } from '../js/protocol/primitives.js';
import { Session, acceptSession, initiateSession } from '../js/protocol/session.js';
import { roomIdentityStatement } from '../js/protocol/statements.js';
import { bytesToText, textToBytes } from './vault.js';

const ONE_TIME_PREKEYS = 10;
/** How many one-time prekeys a `prekeys_low` notice makes (docs/protocol.md §12.1). */
export const TOP_UP_PREKEYS = 10;
const MAX_MESSAGES = 500;
const MAX_SESSION = 1 << 20;

const sessionToText = (session) => (session ? b64encode(session.toBytes()) : null);
const sessionFromText = (text) =>
  (text ? Session.fromBytes(b64decode(text, { field: 'session', maxLength: MAX_SESSION })) : null);

export const recordName = (roomId) => `room:${roomId}`;

export class RoomState {
  /** @param {any} record as stored */
  constructor(record) {
    this.id = record.id;
    this.identity = new IdentityKeyPair(textToBytes(record.identity, 32));
    this.spk = new SignedPreKey(record.spk.id,
      new X25519KeyPair(textToBytes(record.spk.priv, 32)), textToBytes(record.spk.sig, 64));
    this.opks = new Map(Object.entries(record.opks).map(
      ([id, priv]) => [Number(id), new OneTimePreKey(Number(id),
        new X25519KeyPair(textToBytes(priv, 32)))]));
    this.current = sessionFromText(record.sessions.current);
    this.previous = sessionFromText(record.sessions.previous);
    // A record written before pins: trust what the current (else previous) session uses.
    this.pin = record.pin ? PeerPin.fromJSON(record.pin) : new PeerPin();
    for (const session of [this.current, this.previous]) {
      if (session) this.pin.trust(session.peerIdentityKey);
    }
    this.registered = record.registered;
    this.view = record.view; // the server's room view: pseudonyms, member ids, status
    this.messages = record.messages;
  }

  /** Fresh room keys for `view` (the server's room). */
  static create(view) {
    const identity = IdentityKeyPair.generate();
    const spk = SignedPreKey.generate(identity, 1);
    const opks = {};
    for (let id = 1; id <= ONE_TIME_PREKEYS; id += 1) {
      opks[id] = bytesToText(OneTimePreKey.generate(id).keyPair.privateKey);
    }
    return new RoomState({
      id: view.id,
      identity: bytesToText(identity.seed),
      spk: { id: spk.keyId, priv: bytesToText(spk.keyPair.privateKey),
        sig: bytesToText(spk.signature) },
      opks,
      sessions: { current: null, previous: null },
      pin: new PeerPin().toJSON(),
      registered: false,
      view,
      messages: [],
    });
  }

  toRecord() {
    const opks = {};
    for (const [id, key] of this.opks) opks[id] = bytesToText(key.keyPair.privateKey);
    return {
      id: this.id,
      identity: bytesToText(this.identity.seed),
      spk: { id: this.spk.keyId, priv: bytesToText(this.spk.keyPair.privateKey),
        sig: bytesToText(this.spk.signature) },
      opks,
      sessions: { current: sessionToText(this.current), previous: sessionToText(this.previous) },
      pin: this.pin.toJSON(),
      registered: this.registered,
      view: this.view,
      messages: this.messages.slice(-MAX_MESSAGES),
    };
  }

  get me() { return this.view.me.member_id; }

  get peer() { return this.view.peer.member_id; }

  get handle() { return this.view.peer.handle; }

  get open() { return this.view.status === 'open' && !this.view.peer.left && !this.view.me.left; }

  /** The signature by the device key that registers this room identity. */
  identityRegistration(device) {
    const statement = roomIdentityStatement({ origin: device.origin, roomId: this.id,
      memberId: this.me, roomKey: this.identity.publicKey });
    return {
      identity_key: b64encode(this.identity.publicKey),
      signature: b64encode(device.identity.sign(statement)),
    };
  }

  /**
   * Make `count` new one-time prekeys (random ids: the server refuses an id it has seen, and
   * ids of claimed keys are forgotten here) and return their upload body. Save the room before
   * uploading: a key the server hands out must be one this device can still use.
   */
  addOneTimePrekeys(count, rng = randomBytes) {
    const made = [];
    while (made.length < count) {
      const raw = rng(4);
      const id = ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0;
      if (this.opks.has(id)) continue;
      const key = OneTimePreKey.generate(id);
      this.opks.set(id, key);
      made.push({ key_id: id, public_key: b64encode(key.publicKey) });
    }
    return { one_time_prekeys: made };
  }

  prekeyUpload() {
    return {
      signed_prekey: { key_id: this.spk.keyId, public_key: b64encode(this.spk.publicKey),
        signature: b64encode(this.spk.signature) },
      one_time_prekeys: [...this.opks.values()].map(
        (k) => ({ key_id: k.keyId, public_key: b64encode(k.publicKey) })),
    };
  }

  #install(session) {
    if (this.current) this.previous = this.current;
    this.current = session;
  }

  /** A bundle or handshake with another key was refused; the user has not decided yet. */
  get keyChanged() { return this.pin.changed; }

  /** The user compared the safety number of the pinned key. */
  get verified() { return this.pin.verified; }

  /** The user compared the safety number out of band. Throws without a session. */
  markVerified() {
    if (!this.current) throw new Error('There is no safety number to verify yet.');
    this.pin.markVerified();
  }

  /** The user accepts the peer's new key: pin it (not verified), drop sessions with the old. */
  acceptKeyChange() {
    const key = this.pin.accept();
    const same = (s) => s !== null && s.peerIdentityKey.every((b, i) => b === key[i]);
    if (!same(this.previous)) this.previous = null;
    if (!same(this.current)) {
      this.current = this.previous;
      this.previous = null;
    }
  }

  /**
   * Start X3DH with the peer's bundle as the server returned it (verified here).
   * @throws {IdentityKeyChanged} another key than the pinned one (recorded; save the room)
   */
  start(bundleJson) {
    const clean = Object.fromEntries(Object.entries(bundleJson).filter(([, v]) => v !== null));
    const bundle = PreKeyBundle.fromJSON(clean);
    bundle.verify();
    this.pin.check(bundle.identityKey);
    this.#install(initiateSession(this.identity, bundle,
      { room: this.id, device: this.me, peerDevice: this.peer }));
    this.pin.trust(bundle.identityKey);
  }

  /** @param {Uint8Array} plaintext @returns {import('../js/protocol/envelope.js').Envelope} */
  encrypt(plaintext) {
    if (!this.current) throw new Error('no session yet');
    return this.current.encrypt(plaintext);
  }

  /**
   * Decrypt with the session the peer used, accepting a new handshake if need be.
   * @param {import('../js/protocol/envelope.js').Envelope} envelope
   * @throws {DecryptionError|InvalidKeyError|IdentityKeyChanged} nothing changed then (but a
   *   FrankingError consumed its key, and IdentityKeyChanged recorded the offered key)
   */
  decrypt(envelope) {
    if (envelope.room !== this.id || envelope.sender !== this.peer) throw new DecryptionError();
    const sessions = [['current', this.current], ['previous', this.previous]]
      .filter(([, s]) => s !== null);
    if (envelope.type === 'prekey' && envelope.x3dh !== null) {
      for (const [name, session] of sessions) {
        if (session.isSameHandshake(envelope.x3dh)) return this.#decryptWith(name, session, envelope);
      }
      return this.#accept(envelope);
    }
    let last = new DecryptionError();
    for (const [name, session] of sessions) {
      try {
        return this.#decryptWith(name, session, envelope);
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        last = error;
      }
    }
    throw last;
  }

  #decryptWith(name, session, envelope) {
    const message = session.decrypt(envelope);
    if (name === 'previous') {
      this.previous = this.current;
      this.current = session; // the peer speaks this one: answer in it
    }
    return message;
  }

  #accept(envelope) {
    const header = envelope.x3dh;
    const spk = header.signedPrekeyId === this.spk.keyId ? this.spk : null;
    const opkId = header.oneTimePrekeyId;
    const opk = opkId === null ? null : this.opks.get(opkId) ?? null;
    if (spk === null || (opkId !== null && opk === null)) {
      throw new InvalidKeyError('the envelope names a prekey this room no longer holds');
    }
    const { session, message } = acceptSession(this.identity, spk, opk, envelope,
      { device: this.me });
    // Checked once the handshake authenticated, so a forged header cannot raise the warning;
    // a refused one leaves no trace but the offered key (session, message and prekey unused).
    this.pin.check(header.identityKey);
    if (opkId !== null) this.opks.delete(opkId); // a second handshake on it must fail
    this.pin.trust(header.identityKey);
    this.#install(session);
    return message;
  }

  /**
   * The 60-digit number both members see, grouped: of the keys the current session uses, never
   * the key the server's room view claims; null before a session.
   */
  safetyNumber() {
    const peerKey = this.current?.peerIdentityKey ?? null;
    if (!peerKey) return null;
    return formatSafetyNumber(safetyNumber(this.identity.publicKey, this.me, peerKey, this.peer));
  }

  /** Add a message to the conversation (`dir`: "in" or "out"). */
  addMessage(message) {
    if (this.messages.some((m) => m.id === message.id && m.dir === message.dir)) return false;
    this.messages.push(message);
    return true;
  }

  /** @param {string} id @param {string} state "sending" | "sent" | "delivered" | "failed" */
  markOutgoing(id, state) {
    const order = ['sending', 'sent', 'delivered'];
    const found = this.messages.find((m) => m.dir === 'out' && m.id === id);
    if (!found) return false;
    if (state === 'failed' || order.indexOf(state) > order.indexOf(found.state)) {
      found.state = state;
      return true;
    }
    return false;
  }
}

/**
 * Make sure this device has joined room `roomId`: room keys made and saved first (a retry
 * re-uses them), the room identity registered under the device key, prekeys uploaded.
 * @param {import('./api.js').Api} api
 * @param {import('./vault.js').Vault} vault
 * @param {import('./device.js').Device} device
 * @returns {Promise<RoomState>}
 */
export async function joinRoom(api, vault, device, roomId) {
  let view = await api.room(roomId);
  const stored = await vault.get(recordName(view.id));
  const room = stored ? new RoomState(stored) : RoomState.create(view);
  room.view = view;
  if (!stored) await vault.put({ [recordName(room.id)]: room.toRecord() });
  const mine = b64encode(room.identity.publicKey);
  if (view.me.identity_key === null) {
    view = await api.registerRoomIdentity(room.id, room.identityRegistration(device));
    room.view = view;
  } else if (view.me.identity_key !== mine) {
    throw new Error('This room was joined with keys this browser no longer has.');
  }
  if (!room.registered) {
    await api.uploadPrekeys(room.id, room.prekeyUpload());
    room.registered = true;
    await vault.put({ [recordName(room.id)]: room.toRecord() });
  }
  return room;
}
