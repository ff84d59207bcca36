/**
 * The HTTP API (server/api/routes/): JSON in and out, RFC 9457 problem details as
 * {@link ApiError}. The bearer token lives in memory only; a reload logs in again with the
 * device key.
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
}

function problemDetail(data) {
  if (!data) return '';
  if (typeof data.detail === 'string') return data.detail;
  if (Array.isArray(data.errors)) return data.errors.map((e) => e.msg ?? String(e)).join('; ');
  return '';
}
