// Test support: loads the protocol modules the way a page does (the bare "libsodium-sumo"
// import of the vendored wrapper is mapped by a resolve hook registered first), initialises
// libsodium, and loads crypto/vectors.json. Test files import only from here, statically.
import { readFileSync } from 'node:fs';
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);

const load = (name) => import(new URL(`../../js/protocol/${name}.js`, import.meta.url).href);

export const protocol = await load('index');
export const encoding = await load('encoding');
export const errors = await load('errors');
export const json = await load('json');
export const primitives = await load('primitives');
export const keys = await load('keys');
export const x3dh = await load('x3dh');
export const ratchet = await load('ratchet');
export const skipped = await load('skipped');
export const franking = await load('franking');
export const envelope = await load('envelope');
export const session = await load('session');
export const fingerprint = await load('fingerprint');
export const report = await load('report');
export const moderators = await load('moderators');
export const relay = await load('relay');
export const statements = await load('statements');

// The browser client's pure modules (no DOM, no socket, no IndexedDB).
const loadApp = (name) => import(new URL(`../../app/${name}.js`, import.meta.url).href);
export const frames = await loadApp('frames');
export const delivery = await loadApp('delivery');

await protocol.ready();

export const vectors = JSON.parse(
  readFileSync(new URL('../../../crypto/vectors.json', import.meta.url), 'utf8'),
);

export const reportVectors = JSON.parse(
  readFileSync(new URL('../../../crypto/report_vectors.json', import.meta.url), 'utf8'),
);

export const hex = encoding.fromHex;
export const toHex = encoding.toHex;
export const utf8 = encoding.utf8;

/**
 * Deterministic randomness as in crypto/vectors.py: the stream
 * SHA-512(label ‖ u64(0)) ‖ SHA-512(label ‖ u64(1)) ‖ …, every draw recorded.
 */
export function deterministicRandom(label) {
  let buffer = new Uint8Array(0);
  let counter = 0;
  const draws = [];
  const rng = (n) => {
    while (buffer.length < n) {
      const block = primitives.sha512(encoding.concat(utf8(label), encoding.u64(counter)));
      buffer = encoding.concat(buffer, block);
      counter += 1;
    }
    const out = buffer.slice(0, n);
    buffer = buffer.slice(n);
    draws.push(out);
    return out;
  };
  rng.draws = draws;
  return rng;
}

/** Randomness that replays a fixed list of draws, checking each requested size. */
export function replayRandom(hexDraws) {
  const queue = [...hexDraws];
  const rng = (n) => {
    if (queue.length === 0) throw new Error(`no recorded draw left for ${n} bytes`);
    const next = hex(queue.shift());
    if (next.length !== n) throw new Error(`recorded draw has ${next.length} bytes, wanted ${n}`);
    return next;
  };
  rng.remaining = () => queue.length;
  return rng;
}

/** A copy of `bytes` with bit `bit` of byte `index` flipped. */
export function flip(bytes, index, bit = 0) {
  const out = Uint8Array.from(bytes);
  out[index] ^= 1 << bit;
  return out;
}
