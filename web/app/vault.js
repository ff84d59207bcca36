/**
 * Keys stay on the device: an IndexedDB database whose records (identity seed, room keys,
 * prekey private keys, serialised sessions, the conversation) are each sealed with
 * XChaCha20-Poly1305 under one data key, the record's name bound as associated data.
 *
 * Without a passphrase the data key is stored next to the records (the device's own storage is
 * the only protection). With one, the data key is derived with Argon2id (libsodium
 * `crypto_pwhash`) and never stored: the vault must be unlocked after every reload. Either way,
 * clearing the site's data deletes the identity for good.
 *
 * The Argon2id limits are libsodium's MODERATE (3 passes, 256 MiB), the same as the Python
 * keystore (`crypto/keystore.py`): a copy of the browser's storage is as hard to guess a
 * passphrase from as a copy of the SDK's key folder. An unlock takes about 1-3 s. A vault sealed
 * with weaker limits (INTERACTIVE before issue 12) is re-sealed on its next unlock: every record
 * under a key from a fresh salt and the current limits, in one transaction.
 *
 * @module app/vault
 */

import { b64decode, b64encode, canonicalJson, utf8 } from '../js/protocol/encoding.js';
import { KeystoreError } from '../js/protocol/errors.js';
import { aeadDecrypt, aeadEncrypt, randomBytes } from '../js/protocol/primitives.js';
import { sodium } from '../js/protocol/sodium.js';

const DB_NAME = 'peerhaven';
const STORE = 'records';
const META = 'meta';
const CHECK = 'check';
const VERSION = 1;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDatabase() {
  const request = indexedDB.open(DB_NAME, VERSION);
  request.onupgradeneeded = () => request.result.createObjectStore(STORE);
  return promised(request);
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('storage transaction aborted'));
  });
}

const associated = (name) => utf8(`peerhaven/vault/v1/${name}`);

/** The limits a passphrase vault is sealed with (docs/protocol.md §9). */
export function kdfLimits() {
  const s = sodium();
  return { opslimit: s.crypto_pwhash_OPSLIMIT_MODERATE, memlimit: s.crypto_pwhash_MEMLIMIT_MODERATE };
}

const weaker = (kdf, target) => kdf.opslimit < target.opslimit || kdf.memlimit < target.memlimit;

function deriveKey(passphrase, { salt, opslimit, memlimit }) {
  const s = sodium();
  return s.crypto_pwhash(
    32, utf8(passphrase), salt, opslimit, memlimit, s.crypto_pwhash_ALG_ARGON2ID13,
  );
}

/** Thrown by {@link Vault.unlock} for a wrong passphrase (or damaged storage). */
export class WrongPassphrase extends KeystoreError {
  constructor() {
    super('wrong passphrase or damaged storage');
    this.name = 'WrongPassphrase';
  }
}

export class Vault {
  #db; #key = null; #meta;

  constructor(db, meta) {
    this.#db = db;
    this.#meta = meta;
  }

  /** Open the database; {@link Vault#state} says whether it is empty, locked or open. */
  static async open() {
    const db = await openDatabase();
    const tx = db.transaction(STORE, 'readonly');
    const meta = await promised(tx.objectStore(STORE).get(META));
    const vault = new Vault(db, meta ?? null);
    if (meta && !meta.kdf) vault.#key = meta.dataKey;
    return vault;
  }

  /** `"empty"` (no identity yet), `"locked"` (passphrase needed) or `"open"`. */
  get state() {
    if (this.#meta === null) return 'empty';
    return this.#key === null ? 'locked' : 'open';
  }

  get hasPassphrase() {
    return Boolean(this.#meta?.kdf);
  }

  /**
   * Set up an empty vault, optionally protected by `passphrase`.
   * @param {string|null} passphrase
   * @param {{opslimit: number, memlimit: number}} [limits] Argon2id limits; only tests give
   *   others (to make a vault as older versions did)
   */
  async create(passphrase, limits = kdfLimits()) {
    let meta;
    if (passphrase) {
      const s = sodium();
      const kdf = { salt: randomBytes(s.crypto_pwhash_SALTBYTES), ...limits };
      this.#key = deriveKey(passphrase, kdf);
      meta = { v: 1, kdf };
    } else {
      this.#key = randomBytes(32);
      meta = { v: 1, kdf: null, dataKey: this.#key };
    }
    const tx = this.#db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(meta, META);
    tx.objectStore(STORE).put(this.#seal(CHECK, { ok: true }), CHECK);
    await done(tx);
    this.#meta = meta;
  }

  /** The Argon2id limits of this vault (null without a passphrase). */
  get limits() {
    const kdf = this.#meta?.kdf;
    return kdf ? { opslimit: kdf.opslimit, memlimit: kdf.memlimit } : null;
  }

  /**
   * Derive the data key from `passphrase` and check it; a vault sealed with weaker limits than
   * {@link kdfLimits} is re-sealed with them (if that fails, it stays as it was and is tried
   * again on the next unlock).
   * @throws {WrongPassphrase}
   */
  async unlock(passphrase) {
    if (!this.#meta?.kdf) return;
    const key = deriveKey(passphrase, this.#meta.kdf);
    const tx = this.#db.transaction(STORE, 'readonly');
    const sealed = await promised(tx.objectStore(STORE).get(CHECK));
    try {
      this.#open(key, CHECK, sealed);
    } catch {
      throw new WrongPassphrase();
    }
    this.#key = key;
    if (weaker(this.#meta.kdf, kdfLimits())) {
      try {
        await this.#reseal(passphrase);
      } catch {
        // Storage full, or too little memory for the new limits: still open with the old key.
      }
    }
  }

  /** Every record under a key from a fresh salt and the current limits, all or nothing. */
  async #reseal(passphrase) {
    const read = this.#db.transaction(STORE, 'readonly').objectStore(STORE);
    const [names, values] = await Promise.all([promised(read.getAllKeys()),
      promised(read.getAll())]);
    const records = names.map((name, i) => [name, values[i]]).filter(([name]) => name !== META)
      .map(([name, value]) => [name, this.#open(this.#key, name, value)]);
    const kdf = { salt: randomBytes(sodium().crypto_pwhash_SALTBYTES), ...kdfLimits() };
    const key = deriveKey(passphrase, kdf);
    const meta = { v: 1, kdf };
    const tx = this.#db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    for (const [name, value] of records) store.put(this.#seal(name, value, key), name);
    store.put(meta, META);
    await done(tx);
    this.#key = key;
    this.#meta = meta;
  }

  #seal(name, value, key = this.#key) {
    const nonce = randomBytes(24);
    return { nonce, ct: aeadEncrypt(key, nonce, canonicalJson(value), associated(name)) };
  }

  #open(key, name, sealed) {
    const plain = aeadDecrypt(key, sealed.nonce, sealed.ct, associated(name));
    return JSON.parse(new TextDecoder().decode(plain));
  }

  /** @param {string} name @returns {Promise<any>} the record, or null */
  async get(name) {
    if (this.#key === null) throw new KeystoreError('the vault is locked');
    const tx = this.#db.transaction(STORE, 'readonly');
    const sealed = await promised(tx.objectStore(STORE).get(name));
    return sealed ? this.#open(this.#key, name, sealed) : null;
  }

  /**
   * Write several records in one transaction (all or nothing). Values are plain JSON
   * (strings, integers, booleans, arrays, objects); bytes go in as base64url.
   * @param {Record<string, any>} records
   */
  async put(records) {
    if (this.#key === null) throw new KeystoreError('the vault is locked');
    const tx = this.#db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    for (const [name, value] of Object.entries(records)) store.put(this.#seal(name, value), name);
    await done(tx);
  }

  /** Forget everything on this device (the identity cannot be recovered). */
  async destroy() {
    this.#db.close();
    this.#key = null;
    await promised(indexedDB.deleteDatabase(DB_NAME));
  }
}

export const bytesToText = b64encode;
/** @param {string} text @param {number} size */
export const textToBytes = (text, size) =>
  b64decode(text, { field: 'stored key', length: size, maxLength: size });
