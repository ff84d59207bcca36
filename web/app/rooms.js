/**
 * Where the relay's state and the rooms live: the vault (`app/vault.js`), one sealed record per
 * room (`room:<id>`) and one for the delivery machine (`relay`: outbox, handled ids, cursor).
 * A save writes the machine's state and the rooms it touched in one `vault.put`, so a session's
 * ratchet step and the outbox entry (or the stored delivery) are never apart on disk.
 *
 * @module app/rooms
 */

import { RoomState, recordName } from './room.js';

export class RoomStore {
  #vault; #rooms = new Map();

  /** @param {import('./vault.js').Vault} vault */
  constructor(vault) {
    this.#vault = vault;
  }

  /** What `new Delivery(...)` takes: the saved `relay` record, or nothing yet. */
  async relayState() {
    return (await this.#vault.get('relay')) ?? {};
  }

  /** The room's state, from memory or the vault; null if this device never joined it. */
  async get(roomId) {
    if (this.#rooms.has(roomId)) return this.#rooms.get(roomId);
    const record = await this.#vault.get(recordName(roomId));
    if (!record) return null;
    const room = new RoomState(record);
    this.#rooms.set(roomId, room);
    return room;
  }

  /** Use `room` (just joined) from now on; a room already in memory keeps its state. */
  adopt(room) {
    const known = this.#rooms.get(room.id);
    if (known) known.view = room.view;
    else this.#rooms.set(room.id, room);
  }

  /**
   * Write the delivery machine's `state` and `rooms` together.
   * @param {ReturnType<import('./delivery.js').Delivery['state']>} state
   * @param {RoomState[]} rooms
   */
  async save(state, rooms) {
    const records = { relay: state };
    for (const room of rooms) records[recordName(room.id)] = room.toRecord();
    await this.#vault.put(records);
  }
}
