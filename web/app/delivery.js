/**
 * The relay protocol, browser side, without I/O (docs/protocol.md §13): the same state machine
 * as `client/relay.py`, replayed against the transcript scenarios of crypto/vectors.json
 * (`relay.scenarios`). No socket, no IndexedDB, no decryption here: the shell
 * (`app/relay.js`) pushes in what happened and pulls out what to do.
 *
 *     connect(token) · receive(text) · enqueue(entry) · handled(id, outcome) · connectionLost()
 *       → takeDeliveries()   deliveries to decrypt and store; answer each with handled()
 *       → takeEvents()       what the user should hear about
 *       → needsSave, state() what to persist (then saved())
 *       → takeWrites()       frames to write now, in order
 *
 * Guarantees, by construction:
 * - no `send` or `ack` leaves while state is unsaved (an envelope's session state is stored
 *   before it is on the wire; a delivery is stored before it is acknowledged);
 * - every envelope not yet `accepted` is written again after each `ready`, in order;
 * - a delivery is handled once: its delivery id and its envelope id (room, sender, id) are
 *   remembered; a repeat of either is only acknowledged again;
 * - the cursor never passes a delivery handed out but not yet handled.
 *
 *     CLOSED --connect()--> AUTHENTICATING --ready--> OPEN --connectionLost()--> CLOSED
 *
 * @module app/delivery
 */

import { Envelope } from '../js/protocol/envelope.js';
import { MAX_ACK_IDS, isFinalSendError } from '../js/protocol/relay.js';
import { FrameError, ackFrame, authFrame, parseServerFrame, pingFrame, sendFrame, syncFrame }
  from './frames.js';

export const State = Object.freeze({
  CLOSED: 'closed', AUTHENTICATING: 'authenticating', OPEN: 'open',
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Room and member ids compare in canonical (lower-case) UUID form, as client/relay.py does. */
const canonical = (id) => (UUID.test(id) ? id.toLowerCase() : id);
// Keys of the `seen` list: a delivery id, or an envelope id within its room and sender.
const deliveryKey = (id) => `d:${id}`;
const messageKey = (room, sender, id) => `m:${room}:${sender}:${id}`;

export class Delivery {
  #state = State.CLOSED;
  #outbox; #seen; #cursor; #maxSeen;
  #control = []; #acks = []; #sentNow = new Set(); #events = []; #deliveries = [];
  #pending = new Map(); // delivery id → {seq, key}: handed to the shell, not yet handled
  #dirty = false;

  /**
   * @param {{outbox?: {id: string, room: string, envelope: string}[], seen?: string[],
   *   cursor?: number, maxSeen?: number}} [saved] what {@link Delivery#state} returned
   */
  constructor({ outbox = [], seen = [], cursor = 0, maxSeen = 10_000 } = {}) {
    this.#outbox = outbox.map((e) => ({ id: e.id, room: e.room, envelope: e.envelope }));
    // Records written before the `d:`/`m:` keys held bare delivery ids.
    this.#seen = new Set(seen.map((k) => (/^[dm]:/.test(k) ? k : deliveryKey(k))));
    this.#cursor = cursor;
    this.#maxSeen = maxSeen;
  }

  get status() { return this.#state; }

  /** Envelope ids sent but not yet accepted, in order. */
  get pending() { return this.#outbox.map((e) => e.id); }

  /** True while something must be saved before `send` and `ack` frames can flow. */
  get needsSave() { return this.#dirty; }

  /** What to persist (plain data; pass it back to the constructor). */
  state() {
    return { outbox: this.#outbox.map((e) => ({ ...e })), seen: [...this.#seen],
      cursor: this.#cursor };
  }

  /** The caller stored what {@link Delivery#state} returned. */
  saved() { this.#dirty = false; }

  // -- input --------------------------------------------------------------------------------

  /** A new connection is open: authenticate first. */
  connect(token) {
    if (this.#state !== State.CLOSED) throw new Error('already connected');
    this.#state = State.AUTHENTICATING;
    this.#control = [authFrame(token)];
    this.#sentNow.clear();
  }

  /**
   * The connection ended. Unsent acks wait for the next one; the outbox is re-sent. Deliveries
   * not yet handled were not acknowledged and the cursor never passed them: they come again.
   */
  connectionLost() {
    this.#state = State.CLOSED;
    this.#control = [];
    this.#sentNow.clear();
    this.#pending.clear();
    this.#deliveries = [];
  }

  /** An envelope to send, already encrypted (its session state saved with the next save). */
  enqueue({ id, room, envelope }) {
    this.#outbox.push({ id, room: canonical(room), envelope });
    this.#dirty = true;
  }

  ping() {
    if (this.#state === State.OPEN) this.#control.push(pingFrame());
  }

  /** Ask again for whatever the mailbox holds after the cursor (a safety net). */
  sync() {
    if (this.#state === State.OPEN) this.#control.push(syncFrame(this.#cursor));
  }

  /** Handle one frame from the server. */
  receive(text) {
    let frame;
    try {
      frame = parseServerFrame(text);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.#events.push({ type: 'violation', reason: error.message });
      return;
    }
    if (this.#state === State.AUTHENTICATING && frame.type !== 'ready' && frame.type !== 'error') {
      this.#events.push({ type: 'violation', reason: 'expected ready' });
      return;
    }
    switch (frame.type) {
      case 'ready':
        if (this.#state !== State.AUTHENTICATING) {
          this.#events.push({ type: 'violation', reason: 'unexpected ready' });
          return;
        }
        this.#state = State.OPEN;
        this.#control.push(syncFrame(this.#cursor));
        this.#events.push({ type: 'connected', cursor: frame.cursor });
        break;
      case 'deliver':
        this.#deliver(frame);
        break;
      case 'accepted':
        this.#accepted(frame.client_id);
        break;
      case 'synced':
        this.#synced(frame.cursor);
        break;
      case 'error':
        this.#error(frame);
        break;
      case 'notify':
        this.#events.push({ type: 'notify', event: frame.event, data: frame.data });
        break;
      default:
        break; // pong: the shell's liveness check saw the frame arrive
    }
  }

  /**
   * The shell decrypted and stored a delivery from {@link Delivery#takeDeliveries} (`ok`), or
   * could not (`reason`: an error name, e.g. "DecryptionError", "UnknownRoom"); either way it
   * is remembered and acknowledged after the next save.
   * @param {string} deliveryId
   * @param {{ok: true} | {ok: false, reason: string}} outcome
   */
  handled(deliveryId, outcome) {
    const entry = this.#pending.get(deliveryId);
    if (!entry) return; // the connection was lost meanwhile: it comes again
    this.#pending.delete(deliveryId);
    if (outcome.ok) {
      this.#remember(deliveryKey(deliveryId));
      this.#remember(entry.key);
      this.#acks.push(deliveryId);
      this.#events.push({ type: 'received', deliveryId, messageId: entry.messageId,
        room: entry.room });
    } else {
      this.#fail(deliveryId, entry.room, outcome.reason);
    }
  }

  #accepted(messageId) {
    const index = this.#outbox.findIndex((e) => e.id === messageId);
    if (index < 0) return; // the answer to a re-send we already had an answer for
    const [entry] = this.#outbox.splice(index, 1);
    this.#dirty = true;
    this.#events.push({ type: 'accepted', id: messageId, room: entry.room });
  }

  #synced(cursor) {
    let next = cursor;
    for (const { seq } of this.#pending.values()) next = Math.min(next, seq - 1);
    if (next > this.#cursor) {
      this.#cursor = next;
      this.#dirty = true;
    }
    this.#events.push({ type: 'synced', cursor: this.#cursor });
  }

  #error(frame) {
    const index = frame.ref ? this.#outbox.findIndex((e) => e.id === frame.ref) : -1;
    if (index >= 0 && isFinalSendError(frame.code)) {
      const [entry] = this.#outbox.splice(index, 1);
      this.#dirty = true;
      this.#events.push({ type: 'failed', id: entry.id, room: entry.room, code: frame.code,
        message: frame.message });
    } else {
      // Not final (or not ours): the envelope stays in the outbox for the next `ready`.
      this.#events.push({ type: 'error', code: frame.code, message: frame.message,
        ref: frame.ref });
    }
  }

  #deliver(frame) {
    if (this.#seen.has(deliveryKey(frame.id))) {
      this.#acks.push(frame.id); // stored already; the earlier ack may have been lost
      return;
    }
    if (this.#pending.has(frame.id)) return;
    const room = canonical(frame.room);
    let envelope;
    try {
      envelope = Envelope.decode(frame.envelope);
    } catch {
      this.#fail(frame.id, room, 'DecodeError');
      return;
    }
    if (envelope.room !== room || envelope.sender !== canonical(frame.sender)) {
      this.#fail(frame.id, room, 'MismatchedEnvelope');
      return;
    }
    const key = messageKey(room, envelope.sender, envelope.messageId);
    if (this.#seen.has(key)) { // the same envelope under another delivery id
      this.#remember(deliveryKey(frame.id));
      this.#acks.push(frame.id);
      return;
    }
    this.#pending.set(frame.id, { seq: frame.seq, key, room, messageId: envelope.messageId });
    this.#deliveries.push({ id: frame.id, room, envelope, ts: frame.ts, tag: frame.tag });
  }

  #fail(deliveryId, room, reason) {
    this.#remember(deliveryKey(deliveryId));
    this.#acks.push(deliveryId);
    this.#events.push({ type: 'undecryptable', deliveryId, room, reason });
  }

  #remember(key) {
    this.#seen.delete(key);
    this.#seen.add(key); // a Set keeps insertion order: the oldest is forgotten first
    while (this.#seen.size > this.#maxSeen) this.#seen.delete(this.#seen.values().next().value);
    this.#dirty = true;
  }

  // -- output -------------------------------------------------------------------------------

  /** Deliveries to decrypt and store, in order: `{id, room, envelope (decoded), ts, tag}`. */
  takeDeliveries() {
    const out = this.#deliveries;
    this.#deliveries = [];
    return out;
  }

  takeEvents() {
    const out = this.#events;
    this.#events = [];
    return out;
  }

  /** Frames to write now, in order; `send` and `ack` only once everything is saved. */
  takeWrites() {
    const frames = this.#control;
    this.#control = [];
    if (this.#state !== State.OPEN || this.#dirty) return frames;
    for (const entry of this.#outbox) {
      if (!this.#sentNow.has(entry.id)) {
        this.#sentNow.add(entry.id);
        frames.push(sendFrame(entry.envelope));
      }
    }
    while (this.#acks.length > 0) {
      const chunk = this.#acks.splice(0, MAX_ACK_IDS);
      frames.push(ackFrame([...new Set(chunk)]));
    }
    return frames;
  }
}
