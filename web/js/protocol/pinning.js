/**
 * Trust on first use of the peer's room identity key (docs/protocol.md §7.2), mirroring
 * `crypto/pinning.py`. The first key a session is built with is pinned; a later bundle or
 * handshake with another key is refused with {@link IdentityKeyChanged} and its key kept as
 * `offered`, until the user accepts it (after comparing the safety number again), which pins it
 * and clears `verified`. Stored with the room's keys (`toJSON`), so the server cannot make a
 * change silent.
 *
 * @module protocol/pinning
 */

import { b64decode, b64encode } from './encoding.js';
import { DecodeError, IdentityKeyChanged } from './errors.js';

const key = (text, field) => b64decode(text, { field, length: 32, maxLength: 32 });

function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i] ^ b[i];
  return diff === 0;
}

export class PeerPin {
  /** @param {{key?: Uint8Array|null, verified?: boolean, offered?: Uint8Array|null}} [init] */
  constructor({ key: pinned = null, verified = false, offered = null } = {}) {
    this.key = pinned;
    this.verified = verified;
    this.offered = offered;
  }

  /** A different key was refused and the user has not decided yet. */
  get changed() {
    return this.offered !== null;
  }

  /**
   * Allow a session with `identityKey`, or record it as offered and throw.
   * @throws {IdentityKeyChanged}
   */
  check(identityKey) {
    if (this.key === null || equal(identityKey, this.key)) return;
    this.offered = identityKey;
    throw new IdentityKeyChanged();
  }

  /** Pin `identityKey` if nothing is pinned yet (the room's first session). */
  trust(identityKey) {
    if (this.key === null) this.key = identityKey;
  }

  /** The user acknowledged the change: pin the offered key, not verified. */
  accept() {
    if (this.offered === null) throw new Error('no key change to accept');
    this.key = this.offered;
    this.offered = null;
    this.verified = false;
    return this.key;
  }

  /** The user compared the safety number of the pinned key out of band. */
  markVerified() {
    if (this.key === null || this.offered !== null) {
      throw new Error('nothing to verify: no pinned key, or a key change is waiting');
    }
    this.verified = true;
  }

  toJSON() {
    return {
      key: this.key === null ? null : b64encode(this.key),
      verified: this.verified,
      offered: this.offered === null ? null : b64encode(this.offered),
    };
  }

  /** @throws {DecodeError} */
  static fromJSON(obj) {
    if (obj === null || typeof obj !== 'object' || typeof obj.verified !== 'boolean') {
      throw new DecodeError('peer pin: malformed');
    }
    const pin = new PeerPin({
      key: obj.key == null ? null : key(obj.key, 'pin.key'),
      verified: obj.verified,
      offered: obj.offered == null ? null : key(obj.offered, 'pin.offered'),
    });
    if (pin.key === null && (pin.verified || pin.offered !== null)) {
      throw new DecodeError('peer pin: malformed');
    }
    return pin;
  }
}
