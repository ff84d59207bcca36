/**
 * The HTTP API (server/api/routes/): JSON in and out, RFC 9457 problem details as
 * {@link ApiError}. The bearer token lives in memory only; a reload logs in again with the
 * device key.
 *
 * Every endpoint the screens use is a named method below (`api.room(id)`,
 * `api.acceptOffer(id)`, …): this is the only module that knows a URL. Path parameters are
 * URL-encoded here. Each method returns the server's JSON and throws {@link ApiError}.
 *
 * @module app/api
 */

/** A problem the server reported; `detail` is meant for people. */
export class ApiError extends Error {
  /** @param {number} status @param {string} title @param {string} detail */
  constructor(status, title, detail) {
    super(`${status} ${title}${detail ? `: ${detail}` : ''}`);
    this.name = 'ApiError';
    Object.assign(this, { status, title, detail });
  }
}

export class Api {
  #token = null;

  /** @param {string} [base] the server's origin; the page's by default */
  constructor(base = '') {
    this.base = base;
    /** Logs in again (the token expired or was revoked); set once the device is known. */
    this.relogin = null;
  }

  get loggedIn() {
    return this.#token !== null;
  }

  /** The bearer token, for the relay's `auth` frame only. */
  get token() {
    return this.#token;
  }

  set token(value) {
    this.#token = value;
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @param {{auth?: boolean}} [options]
   */
  async call(method, path, body, { auth = true } = {}) {
    try {
      return await this.#call(method, path, body, auth);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401 || !auth || !this.relogin) {
        throw error;
      }
      await this.relogin();
      return this.#call(method, path, body, auth);
    }
  }

  async #call(method, path, body, auth) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth && this.#token) headers.Authorization = `Bearer ${this.#token}`;
    const response = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      throw new ApiError(response.status, data?.title ?? response.statusText, problemDetail(data));
    }
    return data;
  }

  get(path, options) { return this.call('GET', path, undefined, options); }

  post(path, body, options) { return this.call('POST', path, body, options); }

  put(path, body, options) { return this.call('PUT', path, body, options); }

  delete(path, options) { return this.call('DELETE', path, undefined, options); }

  // -- accounts (docs/protocol.md §12): no bearer token yet ---------------------------------

  /** A login challenge for `identityKey` (base64url): `{challenge_id, nonce, origin}`. */
  challenge(identityKey) {
    return this.post('/api/v1/auth/challenges', { identity_key: identityKey }, { auth: false });
  }

  /** Redeem an invite: `{invite_code, identity_key, signature}` → the new account. */
  register(body) { return this.post('/api/v1/accounts', body, { auth: false }); }

  /** Answer a challenge: `{challenge_id, signature}` → `{token, me}`. */
  login(body) { return this.post('/api/v1/auth/tokens', body, { auth: false }); }

  /** Crisis lines for the header's dialog (public). */
  crisisResources() { return this.get('/api/v1/crisis-resources', { auth: false }); }

  // -- profiles --------------------------------------------------------------------------

  specialties() { return this.get('/api/v1/specialties'); }

  profile() { return this.get('/api/v1/profile'); }

  saveProfile(body) { return this.put('/api/v1/profile', body); }

  supporterProfile() { return this.get('/api/v1/supporter-profile'); }

  saveSupporterProfile(body) { return this.put('/api/v1/supporter-profile', body); }

  /** @param {boolean} available */
  setAvailability(available) {
    return this.put('/api/v1/supporter-profile/availability', { available });
  }

  // -- support requests and offers ---------------------------------------------------------

  askForSupport(body) { return this.post('/api/v1/support-requests', body); }

  supportRequest(requestId) { return this.get(`/api/v1/support-requests/${seg(requestId)}`); }

  cancelSupportRequest(requestId) {
    return this.post(`/api/v1/support-requests/${seg(requestId)}/cancel`);
  }

  /** "Keep looking for me": an unavailable request waits for a supporter to be free. */
  keepLooking(requestId) {
    return this.post(`/api/v1/support-requests/${seg(requestId)}/keep-looking`);
  }

  offers() { return this.get('/api/v1/offers'); }

  /** @returns the new room's view */
  acceptOffer(offerId) { return this.post(`/api/v1/offers/${seg(offerId)}/accept`); }

  declineOffer(offerId) { return this.post(`/api/v1/offers/${seg(offerId)}/decline`); }

  // -- rooms (docs/protocol.md §12.1) ------------------------------------------------------

  rooms() { return this.get('/api/v1/rooms'); }

  room(roomId) { return this.get(`/api/v1/rooms/${seg(roomId)}`); }

  /** Register this device's room identity: `{identity_key, signature}` → the room view. */
  registerRoomIdentity(roomId, body) { return this.put(`/api/v1/rooms/${seg(roomId)}/identity`, body); }

  uploadPrekeys(roomId, body) { return this.post(`/api/v1/rooms/${seg(roomId)}/prekeys`, body); }

  /** Claim the peer's prekey bundle (one one-time prekey is used up): `{member_id, bundle}`. */
  claimPeerBundle(roomId) { return this.post(`/api/v1/rooms/${seg(roomId)}/peer-bundle`); }

  /** Leave the room (a room of two then closes) → the room view. */
  leaveRoom(roomId) { return this.post(`/api/v1/rooms/${seg(roomId)}/leave`); }

  /** Close the room for both → the room view. */
  closeRoom(roomId) { return this.post(`/api/v1/rooms/${seg(roomId)}/close`); }

  /** Block the peer (never matched again) → the room view. */
  blockPeer(roomId) { return this.post(`/api/v1/rooms/${seg(roomId)}/block`); }

  // -- moderation (docs/moderation.md, protocol.md §14) ----------------------------------------

  /** The moderator report keys a report from this room is sealed to → `{keys: [b64]}`. */
  reportKeys(roomId) { return this.get(`/api/v1/rooms/${seg(roomId)}/report-keys`); }

  /** Flag a room `{category, sealed_report}` → the flag with its crisis resources. */
  flagRoom(roomId, body) { return this.post(`/api/v1/rooms/${seg(roomId)}/flags`, body); }

  /** A moderator registers this device's report key `{public_key, signature}`. */
  registerReportKey(body) { return this.put('/api/v1/moderation/report-key', body); }

  /** The network's queue (severity, then age). */
  flags() { return this.get('/api/v1/moderation/flags'); }

  flag(flagId) { return this.get(`/api/v1/moderation/flags/${seg(flagId)}`); }

  /** `step`: claim, acknowledge, resolve, verify, private-room, close-room, suspend. */
  flagStep(flagId, step, body) {
    return this.post(`/api/v1/moderation/flags/${seg(flagId)}/${seg(step)}`, body);
  }

  rota() { return this.get('/api/v1/moderation/rota'); }

  /** Go on or off duty `{on_duty, tier}` → the rota. */
  setDuty(body) { return this.put('/api/v1/moderation/rota/me', body); }

  // -- check-ins (server/api/routes/checkins.py): the clinician's side ------------------------

  /** The caller's check-ins waiting for an answer. */
  checkins() { return this.get('/api/v1/checkins'); }

  /** "Talk to a peer" → `{checkin, request}` (a support request is opened). */
  acceptCheckin(checkinId) { return this.post(`/api/v1/checkins/${seg(checkinId)}/accept`); }

  /** "Not now": one reminder later. */
  snoozeCheckin(checkinId) { return this.post(`/api/v1/checkins/${seg(checkinId)}/snooze`); }

  /** "No thanks". */
  declineCheckin(checkinId) { return this.post(`/api/v1/checkins/${seg(checkinId)}/decline`); }

  /** Whether the caller receives check-ins: `{linked, team_linked}`. */
  checkinLink() { return this.get('/api/v1/checkins/link'); }

  /** Opt in `{staff_identifier, team?}` (the server keeps only a keyed hash). */
  linkCheckins(body) { return this.put('/api/v1/checkins/link', body); }

  /** Opt out: the link and unsent check-ins are forgotten. */
  unlinkCheckins() { return this.delete('/api/v1/checkins/link'); }

  // -- institution admin (invites, integration credentials, aggregates) ---------------------

  invites(institutionId) { return this.get(`/api/v1/institutions/${seg(institutionId)}/invites`); }

  /** `{role}` → the invite with its code (shown once). */
  createInvite(institutionId, body) {
    return this.post(`/api/v1/institutions/${seg(institutionId)}/invites`, body);
  }

  revokeInvite(inviteId) { return this.delete(`/api/v1/invites/${seg(inviteId)}`); }

  integrationCredentials(institutionId) {
    return this.get(`/api/v1/institutions/${seg(institutionId)}/integration-credentials`);
  }

  /** `{label}` → the credential with its secret (shown once). */
  createIntegrationCredential(institutionId, body) {
    return this.post(`/api/v1/institutions/${seg(institutionId)}/integration-credentials`, body);
  }

  revokeIntegrationCredential(credentialId) {
    return this.delete(`/api/v1/integration-credentials/${seg(credentialId)}`);
  }

  /** The last 12 completed months, every count below k suppressed: `{k, months}`. */
  checkinSummary(institutionId) {
    return this.get(`/api/v1/institutions/${seg(institutionId)}/checkins/summary`);
  }

  /** The latest week's team load scores with their formula: `{week, formula, teams}`. */
  teamScores(institutionId) {
    return this.get(`/api/v1/institutions/${seg(institutionId)}/team-scores`);
  }

  // -- network admin (the network, federation peers; the rota is above) ---------------------

  /** The caller's network and its own institutions (peer-node stand-ins excluded). */
  network() { return this.get('/api/v1/network'); }

  /** This node's identity and the network's peer nodes: `{node, peers}`. */
  federationPeers() { return this.get('/api/v1/federation/peers'); }

  /** Allow a node `{url, fingerprint}` (active once it allows this node too) → the peer. */
  addFederationPeer(body) { return this.post('/api/v1/federation/peers', body); }

  /** Revoke a peering (the peer is told, best effort) → the peer. */
  revokeFederationPeer(peerId) { return this.delete(`/api/v1/federation/peers/${seg(peerId)}`); }

  // -- Web Push (server/push): content-free notices to this device -------------------------

  /** The server's VAPID public key: `{public_key}` (base64url, 65 bytes). */
  pushKey() { return this.get('/api/v1/push/key'); }

  /** Register `PushSubscription.toJSON()` → `{id, created_at}`. */
  subscribePush(subscription) { return this.post('/api/v1/push/subscriptions', subscription); }

  pushSubscriptions() { return this.get('/api/v1/push/subscriptions'); }

  unsubscribePush(subscriptionId) {
    return this.delete(`/api/v1/push/subscriptions/${seg(subscriptionId)}`);
  }
}

/** One path segment; ids are UUIDs, so this only matters for a hostile or broken value. */
const seg = (id) => encodeURIComponent(String(id));

function problemDetail(data) {
  if (!data) return '';
  if (typeof data.detail === 'string') return data.detail;
  if (Array.isArray(data.errors)) return data.errors.map((e) => e.msg ?? String(e)).join('; ');
  return '';
}
