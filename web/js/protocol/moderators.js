/**
 * Which moderator report keys this device seals a report to (docs/protocol.md §14.4), mirroring
 * `crypto/moderators.py`, checked against crypto/report_vectors.json (`moderator_roster`).
 *
 * Each listed statement's signature (the moderator's device key over the report-key statement)
 * is checked; the first roster seen pins the moderator device keys (trust on first use); a
 * pinned device may present a new report key it signed; a device not pinned after that is
 * refused and kept as `offered` until the member accepts it. A server that adds a key of its own
 * once the pins exist cannot read a report.
 *
 * @module protocol/moderators
 */

import { b64decode, b64encode } from './encoding.js';
import { DecodeError, SignatureError } from './errors.js';
import { verifyWithDomain } from './keys.js';
import { REPORT_KEY_DOMAIN, reportKeyPayload } from './report.js';

const bytes = (value, field, length = 32) => b64decode(value, { field, length, maxLength: length });

function compareBytes(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/**
 * One statement as the server lists it.
 * @param {any} data `{device_key, report_key, signature}` (base64url)
 * @throws {DecodeError}
 */
export function moderatorKeyFromJson(data) {
  const fields = data && typeof data === 'object' ? Object.keys(data).sort().join() : '';
  if (fields !== 'device_key,report_key,signature') {
    throw new DecodeError('moderator key: unexpected fields');
  }
  return {
    deviceKey: bytes(data.device_key, 'device_key'),
    reportKey: bytes(data.report_key, 'report_key'),
    signature: bytes(data.signature, 'signature', 64),
  };
}

/** @throws {SignatureError} unless the device key signed this report key for `origin` */
export function verifyModeratorKey(entry, origin) {
  verifyWithDomain(entry.deviceKey, REPORT_KEY_DOMAIN, reportKeyPayload(origin, entry.reportKey),
    entry.signature);
}

export class ModeratorPins {
  /** @param {{pinned?: Map<string,string>, offered?: Map<string,string>}} [init] b64 → b64 */
  constructor({ pinned = new Map(), offered = new Map() } = {}) {
    this.pinned = pinned;
    this.offered = offered;
  }

  /**
   * Decide which listed statements to seal to, updating the pins.
   * @returns {{reportKeys: Uint8Array[], forged: number, new: number}}
   */
  check(listed, origin) {
    let forged = 0;
    const valid = [];
    for (const entry of listed) {
      try {
        verifyModeratorKey(entry, origin);
        valid.push(entry);
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error;
        forged += 1;
      }
    }
    const firstUse = this.pinned.size === 0;
    const trusted = new Map();
    this.offered = new Map();
    for (const entry of valid) {
      const device = b64encode(entry.deviceKey);
      const report = b64encode(entry.reportKey);
      if (firstUse || this.pinned.has(device)) {
        this.pinned.set(device, report);
        trusted.set(report, entry.reportKey);
      } else {
        this.offered.set(device, report);
      }
    }
    // In byte order, as crypto/moderators.py returns them.
    const reportKeys = [...trusted.values()].sort(compareBytes);
    return { reportKeys, forged, new: this.offered.size };
  }

  /**
   * {@link ModeratorPins#check} the server's JSON list; an entry that does not parse counts as
   * forged (a malformed listing must never keep a flag from being sent).
   */
  checkJson(listing, origin) {
    const entries = Array.isArray(listing) ? listing : [];
    const parsed = [];
    for (const entry of entries) {
      try {
        parsed.push(moderatorKeyFromJson(entry));
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
      }
    }
    const roster = this.check(parsed, origin);
    const malformed = entries.length - parsed.length + (Array.isArray(listing) ? 0 : 1);
    return { ...roster, forged: roster.forged + malformed };
  }

  /** The member accepted the new moderators shown to them. */
  acceptOffered() {
    for (const [device, report] of this.offered) this.pinned.set(device, report);
    this.offered = new Map();
  }

  toJSON() {
    const listing = (map) => [...map.entries()].map(([d, r]) => [d, r]).sort();
    return { v: 1, pinned: listing(this.pinned), offered: listing(this.offered) };
  }

  /** @throws {DecodeError} */
  static fromJSON(data) {
    if (!data || data.v !== 1 || !Array.isArray(data.pinned) || !Array.isArray(data.offered)) {
      throw new DecodeError('moderator pins: malformed');
    }
    const entries = (list) => new Map(list.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new DecodeError('moderator pins: malformed');
      bytes(pair[0], 'device_key');
      bytes(pair[1], 'report_key');
      return [pair[0], pair[1]];
    }));
    return new ModeratorPins({ pinned: entries(data.pinned), offered: entries(data.offered) });
  }
}
