// The browser modules stay browser modules, and the vendored libsodium.js is the pinned,
// unmodified build that web/vendor/VERSION describes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';

const web = new URL('../', import.meta.url);
const read = (path) => readFileSync(new URL(path, web));

test('web/js/protocol uses no Node-only API, never logs, imports only relative .js files', () => {
  const dir = new URL('js/protocol/', web);
  const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
  assert.ok(files.length >= 12);
  for (const file of files) {
    // Without comments: JSDoc types say {import('./x.js').T}, which is not a dynamic import.
    const source = readFileSync(new URL(file, dir), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const banned of [/\brequire\(/, /\bprocess\./, /\bBuffer\b/, /from ['"]node:/, /\bconsole\./, /\bimport\(/]) {
      assert.doesNotMatch(source, banned, `${file} uses ${banned}`);
    }
    for (const [, specifier] of source.matchAll(/from '([^']+)'/g)) {
      assert.match(specifier, /^\.\.?\/.*\.(m?js)$/, `${file} imports ${specifier}`);
    }
  }
});

test('vendored files match the sha256 sums in web/vendor/VERSION', () => {
  const lines = read('vendor/VERSION').toString().split('\n');
  const packages = lines.filter((l) => l.startsWith('package '));
  assert.deepEqual(packages.map((l) => l.split(' ').slice(1, 3).join('@')),
    ['libsodium-wrappers-sumo@0.8.4', 'libsodium-sumo@0.8.4']);
  const files = lines.filter((l) => l.startsWith('file '));
  assert.deepEqual(files.map((l) => l.split(' ')[1]).sort(), ['LICENSE', 'libsodium-sumo.mjs', 'libsodium-wrappers.mjs']);
  for (const line of files) {
    const [, name, , , sha256] = line.split(' ');
    assert.equal(createHash('sha256').update(read(`vendor/${name}`)).digest('hex'), sha256, name);
  }
});

test('the wrapper imports its core by the name the import map and the test hook provide', () => {
  const wrapper = read('vendor/libsodium-wrappers.mjs').toString();
  assert.ok(wrapper.startsWith('import e from"libsodium-sumo";'));
  assert.doesNotMatch(read('vendor/libsodium-sumo.mjs').toString(), /\bimport\s*[^(.]*from\s*"/);
});
