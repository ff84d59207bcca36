/**
 * The store of skipped message keys of one Double Ratchet session (docs/protocol.md §4,
 * "Bounds"): keys by (remote ratchet key, message number), in insertion order, at most
 * MAX_SKIPPED_PER_CHAIN per chain and MAX_SKIPPED_TOTAL in all, the oldest evicted first.
 *
 * @module protocol/skipped
 */

import { b64encode, toHex } from './encoding.js';

export const MAX_SKIPPED_PER_CHAIN = 1000;
export const MAX_SKIPPED_TOTAL = 2000;

const slot = (dh, n) => `${toHex(dh)}:${n}`;

/** Skipped message keys; a Map keeps the insertion order eviction needs. */
export class SkippedKeys {
  /** @type {Map<string, {dh: Uint8Array, n: number, messageKey: Uint8Array}>} */
  #keys = new Map();

  /** @param {Iterable<{dh: Uint8Array, n: number, messageKey: Uint8Array}>} [entries] */
  constructor(entries = []) {
    for (const entry of entries) this.#keys.set(slot(entry.dh, entry.n), entry);
  }

  get size() {
    return this.#keys.size;
  }

  /** @param {Uint8Array} dh @param {number} n @returns {Uint8Array|undefined} */
  get(dh, n) {
    return this.#keys.get(slot(dh, n))?.messageKey;
  }

  /** @param {Uint8Array} dh @param {number} n */
  delete(dh, n) {
    this.#keys.delete(slot(dh, n));
  }

  /**
   * Add keys (in order), then bound the store.
   * @param {{dh: Uint8Array, n: number, messageKey: Uint8Array}[]} entries
   */
  addAll(entries) {
    if (entries.length === 0) return;
    for (const entry of entries) this.#keys.set(slot(entry.dh, entry.n), entry);
    this.#evict();
  }

  /**
   * One pass in insertion order, dropping a key while the total is over MAX_SKIPPED_TOTAL or
   * its chain is over MAX_SKIPPED_PER_CHAIN. This is exactly `DoubleRatchet._evict` in Python:
   * drops made for the per-chain bound also count toward the total.
   */
  #evict() {
    const perChain = new Map();
    for (const { dh } of this.#keys.values()) {
      const chain = toHex(dh);
      perChain.set(chain, (perChain.get(chain) ?? 0) + 1);
    }
    let excess = this.#keys.size - MAX_SKIPPED_TOTAL;
    if (excess <= 0 && [...perChain.values()].every((c) => c <= MAX_SKIPPED_PER_CHAIN)) return;
    for (const [key, { dh }] of [...this.#keys]) {
      const chain = toHex(dh);
      if (excess > 0 || perChain.get(chain) > MAX_SKIPPED_PER_CHAIN) {
        this.#keys.delete(key);
        perChain.set(chain, perChain.get(chain) - 1);
        excess -= 1;
      }
    }
  }

  /** `[[B64(dh), n, B64(mk)], …]` in insertion order, as the Python state has it. */
  toState() {
    return [...this.#keys.values()].map(({ dh, n, messageKey }) => [
      b64encode(dh), n, b64encode(messageKey),
    ]);
  }
}
