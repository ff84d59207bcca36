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

  /** Drop the data key from memory (quick exit); a passphrase vault must then be unlocked. */
  lock() {
    if (this.#key instanceof Uint8Array) this.#key.fill(0);
    this.#key = null;
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
   */
  async create(passphrase) {
    let meta;
    if (passphrase) {
      const s = sodium();
      const kdf = {
        salt: randomBytes(s.crypto_pwhash_SALTBYTES),
        opslimit: s.crypto_pwhash_OPSLIMIT_INTERACTIVE,
        memlimit: s.crypto_pwhash_MEMLIMIT_INTERACTIVE,
      };
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

  /**
   * Derive the data key from `passphrase` and check it.
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
  }

  #seal(name, value) {
    const nonce = randomBytes(24);
    return { nonce, ct: aeadEncrypt(this.#key, nonce, canonicalJson(value), associated(name)) };
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
