/**
 * This device's account: redeeming an invite with a fresh identity key, and challenge-response
 * login (docs/protocol.md §12). The identity seed never leaves the vault except as signatures.
 *
 * @module app/device
 */

import { b64decode, b64encode, concat, lp, utf8 } from '../js/protocol/encoding.js';
import { IdentityKeyPair } from '../js/protocol/keys.js';
import { bytesToText, textToBytes } from './vault.js';

const REGISTER_LABEL = 'peerhaven/register/v1';
const LOGIN_LABEL = 'peerhaven/login/v1';

/** The form of an invite code that is signed: upper case, no separators. */
export const normaliseCode = (code) => code.replace(/[\s-]/g, '').toUpperCase();

function registrationMessage(origin, code, identityKey) {
  return concat(lp(utf8(REGISTER_LABEL)), lp(utf8(origin)), lp(utf8(normaliseCode(code))),
    lp(identityKey));
}

function loginMessage(origin, nonce, identityKey) {
  return concat(lp(utf8(LOGIN_LABEL)), lp(utf8(origin)), lp(nonce), lp(identityKey));
}

export class Device {
  /** @param {IdentityKeyPair} identity @param {{accountId?: string, role?: string}} account */
  constructor(identity, account = {}) {
    this.identity = identity;
    this.accountId = account.accountId ?? null;
    this.role = account.role ?? null;
    /** The server's origin, learnt at login (bound into room-identity signatures). */
    this.origin = null;
  }

  /** @param {import('./vault.js').Vault} vault */
  static async load(vault) {
    const record = await vault.get('device');
    if (!record) return null;
    return new Device(new IdentityKeyPair(textToBytes(record.seed, 32)), record);
  }

  async save(vault) {
    await vault.put({
      device: { seed: bytesToText(this.identity.seed), accountId: this.accountId, role: this.role },
    });
  }

  get publicKey() {
    return b64encode(this.identity.publicKey);
  }

  /**
   * Redeem `code` (the server learns only the public key), then save the account.
   * @param {import('./api.js').Api} api
   * @param {import('./vault.js').Vault} vault
   */
  async register(api, vault, code) {
    await this.save(vault); // first, so a retry after a network error re-uses the same key
    const challenge = await api.post('/api/v1/auth/challenges', { identity_key: this.publicKey },
      { auth: false });
    const signature = this.identity.sign(
      registrationMessage(challenge.origin, code, this.identity.publicKey));
    const me = await api.post('/api/v1/accounts', {
      invite_code: code.trim(), identity_key: this.publicKey, signature: b64encode(signature),
    }, { auth: false });
    this.accountId = me.account_id;
    this.role = me.role;
    await this.save(vault);
    return me;
  }

  /** Challenge-response login; the token stays in `api` (memory). @returns the `me` view */
  async login(api) {
    const challenge = await api.post('/api/v1/auth/challenges', { identity_key: this.publicKey },
      { auth: false });
    const nonce = b64decode(challenge.nonce, { field: 'nonce', maxLength: 64 });
    const signature = this.identity.sign(loginMessage(challenge.origin, nonce,
      this.identity.publicKey));
    const token = await api.post('/api/v1/auth/tokens', {
      challenge_id: challenge.challenge_id, signature: b64encode(signature),
    }, { auth: false });
    api.token = token.token;
    this.origin = challenge.origin;
    this.role = token.me.role;
    return token.me;
  }
}
