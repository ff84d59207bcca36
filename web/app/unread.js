/**
 * Unread counts: how many of a room's incoming messages arrived after the person last had the
 * room on screen. Kept in the vault (`reads`: room id → incoming messages seen), never sent
 * anywhere. The tab title carries the total as a badge: "(2) Home · Peerhaven".
 *
 * @module app/unread
 */

export class Unread extends EventTarget {
  #seen = {};
  #counts = new Map();

  /** @param {{get: Function, put: Function}} vault */
  constructor(vault) {
    super();
    this.vault = vault;
  }

  async load() {
    this.#seen = (await this.vault.get('reads').catch(() => null)) ?? {};
  }

  /** Update `room` (a RoomState): its unread count, or mark all read when `onScreen`. */
  async update(room, { onScreen = false } = {}) {
    const incoming = room.messages.filter((m) => m.dir === 'in').length;
    if (onScreen && document.visibilityState === 'visible') {
      if (this.#seen[room.id] !== incoming) {
        this.#seen[room.id] = incoming;
        await this.vault.put({ reads: this.#seen }).catch(() => {});
      }
    }
    const before = this.#counts.get(room.id) ?? 0;
    const now = Math.max(0, incoming - (this.#seen[room.id] ?? 0));
    this.#counts.set(room.id, now);
    if (now !== before) this.dispatchEvent(new CustomEvent('change', { detail: room.id }));
    return now;
  }

  /** @param {string} roomId */
  count(roomId) {
    return this.#counts.get(roomId) ?? 0;
  }

  total() {
    let sum = 0;
    for (const n of this.#counts.values()) sum += n;
    return sum;
  }
}

/** "(3) Title" when there is something unread, else "Title". */
export function badgedTitle(title, unread) {
  return unread > 0 ? `(${unread}) ${title}` : title;
}
