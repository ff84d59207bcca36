/**
 * The relay (docs/protocol.md §13) for the browser: the thin shell around the pure delivery
 * machine (`app/delivery.js`), as `client/connection.py` is around `client/relay.py`. It owns
 * the WebSocket (authenticated by its first frame, re-opened with back-off whenever it drops,
 * ping/pong liveness), the rooms' storage (`app/rooms.js`), and one queue through which every
 * frame and every send passes, so the vault is always written before the wire:
 *
 * - an envelope's session state (and the outbox entry) is stored before the `send` leaves;
 *   the outbox is re-sent, in order, after every `ready` (the server de-duplicates by id);
 * - a delivery is decrypted and stored before its `ack`; a repeat (same delivery id, or the
 *   same envelope under another delivery id) is only acknowledged again.
 *
 * Besides chat text, a peer's browser sends encrypted *receipts* (a plaintext starting with a
 * zero byte, then JSON `{"receipt": [message ids]}`), which turn "sent" into "delivered".
 *
 * Events: `status` (detail: "connecting" | "online" | "reconnecting"), `room` (detail: room
 * id, something in it changed: also when the peer's key changed, `room.keyChanged`), `notify`
 * (detail: the server's `notify` frame), `problem` (detail: a sentence for people).
 *
 * The peer's pinned key (docs/protocol.md §7.2): a delivery whose handshake carries another
 * key is refused and recorded as offered in the room; nothing is sent in that room until the
 * user accepts the change (`acceptKeyChange`).
 *
 * @module app/relay
 */

import { b64encode } from '../js/protocol/encoding.js';
import { IdentityKeyChanged } from '../js/protocol/errors.js';
import { CloseCode, ErrorCode } from '../js/protocol/relay.js';
import { Delivery, State } from './delivery.js';
import { ApiError } from './api.js';
import { TOP_UP_PREKEYS } from './room.js';
import { RoomStore } from './rooms.js';

const PING_EVERY_MS = 20_000;
const PONG_WITHIN_MS = 10_000;
const NO_PONG = 4000; // our own close code: the server stopped answering pings
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Thrown by `send` while the peer's key change waits for the user. */
export class KeyChangePending extends Error {
  constructor(handle) {
    super(`Not sent: the security key of ${handle} changed. Compare the safety number again `
      + 'before you continue.');
    this.name = 'KeyChangePending';
  }
}

/** The relay's address for a page served at `location`. */
export function relayUrl(location) {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

export class Relay extends EventTarget {
  #api; #rooms; #url; #machine = new Delivery(); #ws = null; #stopped = false; #attempt = 0;
  #timer = null; #pingTimer = null; #pongTimer = null; #chain = Promise.resolve();
  #receipts = new Map();

  /**
   * @param {{api: import('./api.js').Api, vault: import('./vault.js').Vault, url: string,
   *   relogin: () => Promise<void>}} options
   */
  constructor({ api, vault, url, relogin }) {
    super();
    this.#api = api;
    this.#rooms = new RoomStore(vault);
    this.#url = url;
    this.relogin = relogin;
    this.status = 'connecting';
  }

  /** Load the outbox and what was already handled, then connect. */
  async start() {
    this.#machine = new Delivery(await this.#rooms.relayState());
    globalThis.addEventListener?.('online', () => this.reconnectNow());
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#ws?.close(CloseCode.NORMAL);
  }

  /** Connect at once (after the browser came back online, or the user asked). */
  reconnectNow() {
    if (this.#stopped || this.#machine.status === State.OPEN) return;
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

  // -- the socket ---------------------------------------------------------------------------

  #connect() {
    if (this.#stopped) return;
    this.#setStatus(this.#attempt === 0 && this.status === 'connecting' ? 'connecting'
      : 'reconnecting');
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    ws.onopen = () => this.#queue(() => {
      if (this.#ws !== ws) return;
      this.#machine.connect(this.#api.token);
      this.#flush();
    });
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
    // Through the queue: a frame still being handled finishes on the machine it started on.
    this.#queue(() => this.#machine.connectionLost());
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongTimer);
    if (this.#stopped) return;
    this.#setStatus('reconnecting');
    this.#attempt += 1;
    const crowded = code === CloseCode.TOO_MANY_CONNECTIONS || code === CloseCode.RATE_LIMITED;
    const delay = Math.min(10_000, 500 * 2 ** Math.min(this.#attempt - 1, 5)) * (crowded ? 3 : 1);
    this.#timer = setTimeout(async () => {
      if (code === CloseCode.UNAUTHENTICATED) {
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
    if (!ws || this.#machine.status !== State.OPEN || this.#pongTimer !== null) return;
    this.#machine.ping();
    this.#flush();
    this.#pongTimer = setTimeout(() => ws.close(NO_PONG, 'no answer'), PONG_WITHIN_MS);
  }

  /** Write what the machine releases (it holds `send` and `ack` back until a save). */
  #flush() {
    const frames = this.#machine.takeWrites();
    const ws = this.#ws;
    if (ws?.readyState !== WebSocket.OPEN) return; // they are written again after `ready`
    for (const frame of frames) ws.send(frame);
  }

  // -- frames -------------------------------------------------------------------------------

  async #frame(ws, data) {
    if (ws !== this.#ws) return;
    this.#machine.receive(data);
    const touched = new Map();
    const later = [];
    for (const delivery of this.#machine.takeDeliveries()) {
      later.push(...await this.#store(delivery, touched));
    }
    for (const event of this.#machine.takeEvents()) await this.#event(event, touched);
    if (this.#machine.needsSave || touched.size > 0) await this.#save(...touched.values());
    this.#flush();
    for (const id of touched.keys()) this.#emit('room', id);
    for (const [roomId, messageId] of later) this.#receiptLater(roomId, messageId);
  }

  async #save(...rooms) {
    await this.#rooms.save(this.#machine.state(), rooms);
    this.#machine.saved();
  }

  /** Decrypt one delivery into its room; returns the receipts to send for it. */
  async #store(delivery, touched) {
    const room = await this.#rooms.get(delivery.room);
    if (!room) {
      this.#machine.handled(delivery.id, { ok: false, reason: 'UnknownRoom' });
      return [];
    }
    touched.set(room.id, room); // even a failure may consume a ratchet key
    let received;
    try {
      received = room.decrypt(delivery.envelope);
    } catch (error) {
      this.#machine.handled(delivery.id, { ok: false, reason: error?.name ?? 'Error' });
      return [];
    }
    this.#machine.handled(delivery.id, { ok: true });
    if (received.plaintext[0] === 0) {
      for (const id of receiptIds(received.plaintext)) room.markOutgoing(id, 'delivered');
      return [];
    }
    const added = room.addMessage({
      id: received.messageId, dir: 'in', text: decoder.decode(received.plaintext),
      ts: delivery.ts, tag: delivery.tag, franking: b64encode(received.frankingKey),
      delivery: delivery.id, // the server's id: what a report names (protocol.md §14)
    });
    return added ? [[room.id, received.messageId]] : [];
  }

  async #event(event, touched) {
    switch (event.type) {
      case 'connected':
        this.#attempt = 0;
        this.#setStatus('online');
        clearInterval(this.#pingTimer);
        this.#pingTimer = setInterval(() => this.#ping(), PING_EVERY_MS);
        break;
      case 'accepted':
      case 'failed': {
        const room = await this.#rooms.get(event.room);
        room?.markOutgoing(event.id, event.type === 'accepted' ? 'sent' : 'failed');
        if (room) touched.set(room.id, room);
        if (event.type === 'failed') {
          this.#emit('problem', event.code === ErrorCode.ROOM_CLOSED
            || event.code === ErrorCode.NO_RECIPIENT
            ? 'Not sent: this conversation has ended.' : 'A message could not be sent.');
        }
        break;
      }
      case 'undecryptable':
        // A refused key change is shown by the room itself (room.keyChanged), calmly.
        if (event.reason !== 'IdentityKeyChanged') {
          this.#emit('problem', 'A message arrived that could not be decrypted.');
        }
        break;
      case 'notify':
        if (event.event === 'prekeys_low' && event.data?.room) {
          // The next notice tries again if this one fails.
          this.topUpPrekeys(event.data.room, Number(event.data.available)).catch(() => {});
        }
        this.#emit('notify', { type: 'notify', event: event.event, data: event.data });
        break;
      default:
        break; // synced, a non-final error (the outbox re-sends), a refused frame
    }
  }

  // -- what screens call --------------------------------------------------------------------

  /** The room's state, from memory or the vault; null if this device never joined it. */
  room(roomId) {
    return this.#rooms.get(roomId);
  }

  /** Use `room` (just joined) from now on. */
  adopt(room) {
    return this.#queue(async () => {
      this.#rooms.adopt(room);
      this.#emit('room', room.id);
    });
  }

  /** Re-read the room's view (status, pseudonyms, whether the peer joined) from the server. */
  refreshRoom(roomId) {
    return this.#queue(async () => {
      const room = await this.#rooms.get(roomId);
      if (!room) return;
      room.view = await this.#api.room(roomId);
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

  /**
   * The server said this room has only `available` one-time prekeys left (docs/protocol.md
   * §12.1): make enough for `TOP_UP_PREKEYS`, save them, then upload them (a key the server hands
   * out must already be one this device keeps). Keys the server refuses (an id it has seen, or
   * over its limit) are dropped again.
   */
  topUpPrekeys(roomId, available) {
    return this.#queue(async () => {
      const room = await this.#rooms.get(roomId);
      const wanted = TOP_UP_PREKEYS - (Number.isFinite(available) ? available : 0);
      if (!room || !room.registered || !room.open || wanted <= 0) return;
      const upload = room.addOneTimePrekeys(wanted);
      await this.#save(room);
      try {
        await this.#api.uploadPrekeys(roomId, upload);
      } catch (error) {
        if (error instanceof ApiError && [409, 422].includes(error.status)) {
          for (const key of upload.one_time_prekeys) room.opks.delete(key.key_id);
          await this.#save(room);
        }
        throw error;
      }
    });
  }

  /** The user compared the safety number again and accepts the peer's new key. */
  acceptKeyChange(roomId) {
    return this.#queue(async () => {
      const room = await this.#rooms.get(roomId);
      if (!room) return;
      room.acceptKeyChange();
      await this.#save(room);
      this.#emit('room', roomId);
    });
  }

  /** The user compared the safety number out of band; a key change clears it. */
  markVerified(roomId) {
    return this.#queue(async () => {
      const room = await this.#rooms.get(roomId);
      if (!room) return;
      room.markVerified();
      await this.#save(room);
      this.#emit('room', roomId);
    });
  }

  async #send(roomId, plaintext, text) {
    const room = await this.#rooms.get(roomId);
    if (!room) throw new Error('Join the room first.');
    if (room.keyChanged) throw new KeyChangePending(room.handle);
    if (!room.current) {
      const claimed = await this.#api.claimPeerBundle(roomId);
      if (claimed.member_id !== room.peer) throw new Error('The room changed; reload the page.');
      try {
        room.start(claimed.bundle);
      } catch (error) {
        if (!(error instanceof IdentityKeyChanged)) throw error;
        await this.#save(room); // keep the refused key: the warning survives a reload
        this.#emit('room', roomId);
        throw new KeyChangePending(room.handle);
      }
    }
    const envelope = room.encrypt(plaintext);
    if (text !== null) {
      room.addMessage({ id: envelope.messageId, dir: 'out', text, ts: new Date().toISOString(),
        state: 'sending' });
    }
    this.#machine.enqueue({ room: roomId, id: envelope.messageId,
      envelope: decoder.decode(envelope.encode()) });
    await this.#save(room);
    this.#flush();
    if (text !== null) this.#emit('room', roomId);
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
