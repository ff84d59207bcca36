/**
 * This device's account: redeeming an invite with a fresh identity key, and challenge-response
 * login (docs/protocol.md §12). The identity seed never leaves the vault except as signatures.
 * What is signed binds the page's own origin (`location.origin`), never the one a challenge
 * names: a host relaying to the real server must not obtain a signature that works there.
 *
 * @module app/device
 */

import { b64decode, b64encode } from '../js/protocol/encoding.js';
import { IdentityKeyPair } from '../js/protocol/keys.js';
import { loginStatement, registrationStatement } from '../js/protocol/statements.js';
import { bytesToText, textToBytes } from './vault.js';

/** A challenge for another origin than this page's: refused before anything is signed. */
export class OriginMismatch extends Error {
  constructor() {
    super('The server answered for another address than this page. Nothing was signed; '
      + 'open Peerhaven at its own address.');
    this.name = 'OriginMismatch';
  }
}

export class Device {
  /**
   * @param {IdentityKeyPair} identity @param {{accountId?: string, role?: string}} account
   * @param {string} [origin] what every statement binds; the page's own by default
   */
  constructor(identity, account = {}, origin = globalThis.location?.origin) {
    this.identity = identity;
    this.accountId = account.accountId ?? null;
    this.role = account.role ?? null;
    /** This page's origin, bound into login, registration and room-identity signatures. */
    this.origin = origin ?? null;
  }

  /** @param {import('./vault.js').Vault} vault @param {string} [origin] */
  static async load(vault, origin) {
    const record = await vault.get('device');
    if (!record) return null;
    return new Device(new IdentityKeyPair(textToBytes(record.seed, 32)), record, origin);
  }

  /** A login challenge, checked: it must be for this page's origin. @throws {OriginMismatch} */
  async #challenge(api) {
    const challenge = await api.challenge(this.publicKey);
    if (!this.origin || challenge?.origin !== this.origin) throw new OriginMismatch();
    return challenge;
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
    await this.#challenge(api);
    const inviteCode = code.trim(); // sign exactly what is sent (the server normalises it)
    const signature = this.identity.sign(registrationStatement({
      origin: this.origin, inviteCode, identityKey: this.identity.publicKey }));
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
    const challenge = await this.#challenge(api);
    const nonce = b64decode(challenge.nonce, { field: 'nonce', maxLength: 64 });
    const signature = this.identity.sign(loginStatement({
      origin: this.origin, nonce, identityKey: this.identity.publicKey }));
    const token = await api.login({
      challenge_id: challenge.challenge_id, signature: b64encode(signature),
    });
    api.token = token.token;
    this.role = token.me.role;
    return token.me;
  }
}
