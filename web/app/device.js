/**
 * This device's account: redeeming an invite with a fresh identity key, and challenge-response
 * login (docs/protocol.md §12). The identity seed never leaves the vault except as signatures.
 *
 * @module app/device
 */

import { b64decode, b64encode } from '../js/protocol/encoding.js';
import { IdentityKeyPair } from '../js/protocol/keys.js';
import { loginStatement, registrationStatement } from '../js/protocol/statements.js';
import { bytesToText, textToBytes } from './vault.js';

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
    const challenge = await api.challenge(this.publicKey);
    const inviteCode = code.trim(); // sign exactly what is sent (the server normalises it)
    const signature = this.identity.sign(registrationStatement({
      origin: challenge.origin, inviteCode, identityKey: this.identity.publicKey }));
    const me = await api.register({
      invite_code: inviteCode, identity_key: this.publicKey, signature: b64encode(signature),
    });
    this.accountId = me.account_id;
    this.role = me.role;
    await this.save(vault);
    return me;
  }

  /** Challenge-response login; the token stays in `api` (memory). @returns the `me` view */
  async login(api) {
    const challenge = await api.challenge(this.publicKey);
    const nonce = b64decode(challenge.nonce, { field: 'nonce', maxLength: 64 });
    const signature = this.identity.sign(loginStatement({
      origin: challenge.origin, nonce, identityKey: this.identity.publicKey }));
    const token = await api.login({
      challenge_id: challenge.challenge_id, signature: b64encode(signature),
    });
    api.token = token.token;
    this.origin = challenge.origin;
    this.role = token.me.role;
    return token.me;
  }
}
