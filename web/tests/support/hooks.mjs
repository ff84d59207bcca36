// Node module resolve hook: the Node equivalent of the page's import map
// {"imports": {"libsodium-sumo": "./vendor/libsodium-sumo.mjs"}} (Node 20 has no import maps).
const CORE = new URL('../../vendor/libsodium-sumo.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'libsodium-sumo') return { url: CORE, shortCircuit: true };
  return nextResolve(specifier, context);
}
