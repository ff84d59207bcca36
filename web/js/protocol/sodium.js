/**
 * Loads the vendored libsodium.js (web/vendor/, sumo build) once.
 *
 * The vendored wrapper imports its core by the bare name "libsodium-sumo": a page maps it with
 * an import map (`{"imports": {"libsodium-sumo": "<...>/vendor/libsodium-sumo.mjs"}}`); the
 * Node tests register an equivalent resolve hook (web/tests/support/).
 *
 * @module protocol/sodium
 */

import sodiumModule from '../../vendor/libsodium-wrappers.mjs';
import { CryptoError } from './errors.js';

let instance = null;

/**
 * Wait until libsodium is initialised. Call (and await) once before any other function.
 * @returns {Promise<void>}
 */
export async function ready() {
  await sodiumModule.ready;
  instance = sodiumModule;
}

/**
 * The initialised libsodium instance (for the primitives module only).
 * @returns {any}
 * @throws {CryptoError} if `ready()` has not completed
 */
export function sodium() {
  if (instance === null) throw new CryptoError('libsodium is not ready: await ready() first');
  return instance;
}
