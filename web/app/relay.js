/**
 * The relay (docs/protocol.md §13) for the browser: one WebSocket, authenticated by its first
 * frame, re-opened with back-off whenever it drops, and a single queue through which every
 * frame and every send passes, so the vault is always written before the wire:
 *
 * - an envelope's session state (and the outbox entry) is stored before the `send` leaves;
 *   the outbox is re-sent, in order, after every `ready` (the server de-duplicates by id);
 * - a delivery is decrypted and stored before its `ack`; a repeat is only acknowledged again.
 *
 * Besides chat text, a peer's browser sends encrypted *receipts* (a plaintext starting with a
 * zero byte, then JSON `{"receipt": [message ids]}`), which turn "sent" into "delivered".
 *
 * Events: `status` (detail: "connecting" | "online" | "reconnecting"), `room` (detail: room
 * id, something in it changed), `notify` (detail: the server's `notify` frame), `problem`
 * (detail: a sentence for people).
 *
 * @module app/relay
 */

import { Envelope } from '../js/protocol/envelope.js';
import { b64encode } from '../js/protocol/encoding.js';
import { RoomState, recordName } from './room.js';

const MAX_SEEN = 2000;
const PING_EVERY_MS = 20_000;
const PONG_WITHIN_MS = 10_000;
const FINAL_ERRORS = new Set(['unknown_room', 'room_closed', 'no_recipient', 'invalid_envelope',
  'too_large', 'malformed', 'duplicate_id']);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The relay's address for a page served at `origin`. */
export function relayUrl(location) {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

export class Relay extends EventTarget {
  #api; #vault; #url; #ws = null; #open = false; #stopped = false; #attempt = 0;
  #timer = null; #pingTimer = null; #pongTimer = null; #chain = Promise.resolve();
  #rooms = new Map(); #outbox = []; #seen = []; #seenSet = new Set(); #receipts = new Map();

  /**
   * @param {{api: import('./api.js').Api, vault: import('./vault.js').Vault, url: string,
   *   relogin: () => Promise<void>}} options
   */
  constructor({ api, vault, url, relogin }) {
    super();
    this.#api = api;
    this.#vault = vault;
    this.#url = url;
    this.relogin = relogin;
    this.status = 'connecting';
  }

  /** Load the outbox and what was already handled, then connect. */
  async start() {
    const state = await this.#vault.get('relay');
    this.#outbox = state?.outbox ?? [];
    this.#seen = state?.seen ?? [];
    this.#seenSet = new Set(this.#seen);
    globalThis.addEventListener?.('online', () => this.reconnectNow());
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#ws?.close(1000);
  }

  /** Connect at once (after the browser came back online, or the user asked). */
  reconnectNow() {
    if (this.#stopped || this.#open) return;
    clearTimeout(this.#timer);
    this.#attempt = 0;
    if (this.#ws === null) this.#connect();
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.#emit('status', status);
  }

  #queue(task) {
    const run = this.#chain.then(task);
    this.#chain = run.catch(() => {});
    return run;
  }

  #connect() {
    if (this.#stopped) return;
    this.#setStatus(this.#attempt === 0 && this.status === 'connecting' ? 'connecting'
      : 'reconnecting');
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: this.#api.token }));
    ws.onmessage = (event) => {
      this.#alive(ws);
      this.#queue(() => this.#frame(ws, event.data)).catch(() => {
        this.#emit('problem', 'A message could not be handled.');
      });
    };
    ws.onclose = (event) => this.#closed(ws, event.code);
  }

  #closed(ws, code) {
    if (this.#ws !== ws) return;
    this.#ws = null;
    this.#open = false;
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongTimer);
    if (this.#stopped) return;
    this.#setStatus('reconnecting');
    this.#attempt += 1;
    const delay = Math.min(10_000, 500 * 2 ** Math.min(this.#attempt - 1, 5))
      * (code === 4008 || code === 4029 ? 3 : 1);
    this.#timer = setTimeout(async () => {
      if (code === 4001) {
        try {
          await this.relogin();
        } catch {
          // the server is unreachable or refuses: try again later
        }
      }
      this.#connect();
    }, delay);
  }

  #alive(ws) {
    clearTimeout(this.#pongTimer);
    this.#pongTimer = null;
    if (this.#ws !== ws) ws.close();
  }

  #ping() {
    const ws = this.#ws;
    if (!ws || !this.#open || this.#pongTimer !== null) return;
    ws.send(JSON.stringify({ type: 'ping' }));
    this.#pongTimer = setTimeout(() => ws.close(4000, 'no answer'), PONG_WITHIN_MS);
  }

  #write(frame) {
    if (this.#open && this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(frame));
  }

  async #frame(ws, data) {
    if (ws !== this.#ws) return;
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    switch (frame.type) {
      case 'ready':
        this.#open = true;
        this.#attempt = 0;
        this.#setStatus('online');
        this.#pingTimer = setInterval(() => this.#ping(), PING_EVERY_MS);
        // Unacknowledged deliveries are all still in the mailbox: ask for them from the start.
        this.#write({ type: 'sync', after: 0 });
        for (const entry of this.#outbox) this.#write({ type: 'send', envelope: entry.envelope });
        break;
      case 'accepted':
        await this.#accepted(frame.client_id);
        break;
      case 'deliver':
        await this.#deliver(frame);
        break;
      case 'error':
        await this.#error(frame);
        break;
      case 'notify':
        this.#emit('notify', frame);
        break;
      default:
        break; // pong, synced
    }
  }

  async #save(room) {
    const records = { relay: { outbox: this.#outbox, seen: this.#seen } };
    if (room) records[recordName(room.id)] = room.toRecord();
    await this.#vault.put(records);
  }

  /** The room's state, from memory or the vault; null if this device never joined it. */
  async room(roomId) {
    if (this.#rooms.has(roomId)) return this.#rooms.get(roomId);
    const record = await this.#vault.get(recordName(roomId));
    if (!record) return null;
    const room = new RoomState(record);
    this.#rooms.set(roomId, room);
    return room;
  }

  /** Use `room` (just joined) from now on. */
  adopt(room) {
    return this.#queue(async () => {
      const known = this.#rooms.get(room.id);
      if (known) known.view = room.view;
      else this.#rooms.set(room.id, room);
      this.#emit('room', room.id);
    });
  }

  /** Re-read the room's view (status, pseudonyms, whether the peer joined) from the server. */
  refreshRoom(roomId) {
    return this.#queue(async () => {
      const room = await this.room(roomId);
      if (!room) return;
      room.view = await this.#api.get(`/api/v1/rooms/${roomId}`);
      await this.#save(room);
      this.#emit('room', roomId);
    });
  }

  /**
   * Encrypt `text` for the room's peer, store it, send it (now or after reconnecting).
   * @param {string} roomId
   * @param {string} text
   */
  send(roomId, text) {
    return this.#queue(() => this.#send(roomId, encoder.encode(text), text));
  }

  async #send(roomId, plaintext, text) {
    const room = await this.room(roomId);
    if (!room) throw new Error('Join the room first.');
    if (!room.current) {
      const claimed = await this.#api.post(`/api/v1/rooms/${roomId}/peer-bundle`);
      if (claimed.member_id !== room.peer) throw new Error('The room changed; reload the page.');
      room.start(claimed.bundle);
    }
    const envelope = room.encrypt(plaintext);
    const wire = decoder.decode(envelope.encode());
    if (text !== null) {
      room.addMessage({ id: envelope.messageId, dir: 'out', text, ts: new Date().toISOString(),
        state: 'sending' });
    }
    this.#outbox.push({ room: roomId, id: envelope.messageId, envelope: wire });
    await this.#save(room);
    this.#write({ type: 'send', envelope: wire });
    if (text !== null) this.#emit('room', roomId);
  }

  async #accepted(messageId) {
    const entry = this.#outbox.find((e) => e.id === messageId);
    if (!entry) return;
    this.#outbox = this.#outbox.filter((e) => e !== entry);
    const room = await this.room(entry.room);
    room?.markOutgoing(messageId, 'sent');
    await this.#save(room);
    this.#emit('room', entry.room);
  }

  async #error(frame) {
    const entry = frame.ref ? this.#outbox.find((e) => e.id === frame.ref) : null;
    if (!entry || !FINAL_ERRORS.has(frame.code)) return;
    this.#outbox = this.#outbox.filter((e) => e !== entry);
    const room = await this.room(entry.room);
    room?.markOutgoing(entry.id, 'failed');
    await this.#save(room);
    this.#emit('room', entry.room);
    this.#emit('problem', frame.code === 'room_closed' || frame.code === 'no_recipient'
      ? 'Not sent: this conversation has ended.' : 'A message could not be sent.');
  }

  #remember(deliveryId) {
    this.#seen.push(deliveryId);
    this.#seenSet.add(deliveryId);
    while (this.#seen.length > MAX_SEEN) this.#seenSet.delete(this.#seen.shift());
  }

  async #deliver(frame) {
    if (this.#seenSet.has(frame.id)) {
      this.#write({ type: 'ack', ids: [frame.id] });
      return;
    }
    const room = await this.room(frame.room);
    let received = null;
    if (room) {
      try {
        received = room.decrypt(Envelope.decode(frame.envelope));
      } catch {
        received = null; // nothing to keep: recorded as handled below, and the user told
      }
    }
    let gotText = false;
    if (received === null) {
      this.#emit('problem', 'A message arrived that could not be decrypted.');
    } else if (received.plaintext[0] === 0) {
      for (const id of receiptIds(received.plaintext)) room.markOutgoing(id, 'delivered');
    } else {
      gotText = room.addMessage({
        id: received.messageId, dir: 'in', text: decoder.decode(received.plaintext),
        ts: frame.ts, tag: frame.tag, franking: b64encode(received.frankingKey),
      });
    }
    this.#remember(frame.id);
    await this.#save(room);
    this.#write({ type: 'ack', ids: [frame.id] });
    if (room) this.#emit('room', room.id);
    if (gotText) this.#receiptLater(room.id, received.messageId);
  }

  #receiptLater(roomId, messageId) {
    const pending = this.#receipts.get(roomId);
    if (pending) {
      pending.push(messageId);
      return;
    }
    this.#receipts.set(roomId, [messageId]);
    setTimeout(() => {
      const ids = this.#receipts.get(roomId) ?? [];
      this.#receipts.delete(roomId);
      const body = encoder.encode(JSON.stringify({ receipt: ids }));
      const plaintext = new Uint8Array(body.length + 1);
      plaintext.set(body, 1);
      this.#queue(() => this.#send(roomId, plaintext, null)).catch(() => {});
    }, 250);
  }
}

function receiptIds(plaintext) {
  try {
    const parsed = JSON.parse(decoder.decode(plaintext.subarray(1)));
    return Array.isArray(parsed?.receipt) ? parsed.receipt.filter((i) => typeof i === 'string')
      : [];
  } catch {
    return [];
  }
}
