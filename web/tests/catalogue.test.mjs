// The one catalogue of UI strings (web/app/catalogue.js): English and Spanish have the same
// keys, no empty text, the same placeholders; every key a module asks for exists.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { test } from 'node:test';

import { CATALOGUE } from '../app/catalogue.js';

const app = new URL('../app/', import.meta.url);
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sources(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = new URL(name, dir);
    if (statSync(path).isDirectory()) found.push(...sources(new URL(`${name}/`, dir)));
    else if (name.endsWith('.js')) found.push([name, readFileSync(path, 'utf8')]);
  }
  return found;
}

test('the Spanish locale is complete and says the same placeholders', () => {
  const en = CATALOGUE.en;
  const es = CATALOGUE.es;
  assert.deepEqual(Object.keys(es).sort(), Object.keys(en).sort());
  for (const [key, text] of Object.entries(en)) {
    assert.ok(text.trim() && es[key].trim(), `${key} is empty`);
    assert.deepEqual(placeholders(es[key]), placeholders(text), `${key} placeholders differ`);
  }
});

test('every key the modules ask for is in the catalogue', () => {
  let asked = 0;
  for (const [name, source] of sources(app)) {
    for (const [, key] of source.matchAll(/\bt\('([a-zA-Z0-9.-]+)'/g)) {
      asked += 1;
      assert.ok(key in CATALOGUE.en, `${name} asks for ${key}`);
    }
  }
  assert.ok(asked > 100, `only ${asked} keys found: are the screens using t()?`);
});

test('the service worker shows the same notices as the server sends', () => {
  const sw = readFileSync(new URL('../sw.js', import.meta.url), 'utf8');
  for (const text of ['You have a new request for support', 'New message',
    'A supporter is ready to talk with you', 'A report needs a moderator']) {
    assert.ok(sw.includes(`'${text}'`), text);
  }
});

test('no module writes an English sentence past the catalogue', () => {
  // A literal sentence as text, title, label or placeholder would show in English in every
  // locale: it belongs in the catalogue.
  const literal = /\b(text|title|label|placeholder|'aria-label'): '[A-Z][a-z]+ [^']*'/g;
  for (const [name, source] of sources(app)) {
    if (name === 'catalogue.js') continue;
    const found = [...source.matchAll(literal)].map((m) => m[0]);
    assert.deepEqual(found, [], `${name} has literal UI text`);
  }
});
