// The admin, network admin and check-in screens: every URL lives in api.js (no screen calls
// `api.get/post/put/delete/call` itself), every value the server can send for a role, an
// invite status, a peer state or a rota tier has words in both locales, and the pure helpers
// (fingerprints, node addresses, the check-in sentence) say what they should.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';

import { CATALOGUE } from '../app/catalogue.js';
import { setLocale } from '../app/i18n.js';
import { checkinMessage } from '../app/screens/checkin.js';
import { groupFingerprint, normaliseFingerprint, normaliseNodeUrl } from '../app/screens/network.js';

const repo = new URL('../../', import.meta.url);
const read = (path) => readFileSync(new URL(path, repo), 'utf8');

/** The values of `class Name(StrEnum)` in a server module: `NAME = "value"` lines. */
function strEnum(path, name) {
  const source = read(path);
  const start = source.indexOf(`class ${name}(StrEnum):`);
  assert.ok(start >= 0, `${name} not in ${path}`);
  const body = source.slice(start).split(/\n(?=\S)/)[0];
  const values = [...body.matchAll(/^\s+[A-Z_]+ = "([a-z_]+)"$/gm)].map((m) => m[1]);
  assert.ok(values.length >= 2, `${name}: ${values}`);
  return values;
}

test('no screen calls the HTTP API by URL: api.js names every endpoint', () => {
  const screens = new URL('web/app/screens/', repo);
  for (const file of readdirSync(screens).filter((f) => f.endsWith('.js'))) {
    const source = readFileSync(new URL(file, screens), 'utf8');
    assert.doesNotMatch(source, /\bapi\.(get|post|put|delete|call)\(/, file);
    assert.doesNotMatch(source, /['`]\/api\/v1\//, `${file} spells out an API path`);
  }
});

test('every role, invite status, peer state and rota tier the server sends has words', () => {
  const families = {
    'admin.role': strEnum('server/accounts/roles.py', 'Role'),
    'admin.inviteStatus': strEnum('server/accounts/invites.py', 'InviteStatus'),
    'network.peerState': strEnum('server/federation/states.py', 'PeerStatus'),
    'network.peerExplain': strEnum('server/federation/states.py', 'PeerStatus'),
    // `admins` is a flag's last tier, never a rota entry's (DutyIn allows primary or backup).
    'network.tier': strEnum('server/moderation/states.py', 'Tier').filter((v) => v !== 'admins'),
  };
  for (const [prefix, values] of Object.entries(families)) {
    for (const value of values) {
      for (const locale of ['en', 'es']) {
        assert.ok(CATALOGUE[locale][`${prefix}.${value}`], `${locale} lacks ${prefix}.${value}`);
      }
    }
  }
});

test('every dashboard metric and team signal the server sends has words', () => {
  const signals = read('server/checkins/teams.py').match(/^SIGNALS = \(([^)]*)\)/m)[1];
  for (const signal of [...signals.matchAll(/"([a-z_]+)"/g)].map((m) => m[1])) {
    assert.ok(CATALOGUE.es[`admin.signal.${signal}`], signal);
  }
  const schema = read('server/api/schemas_checkins.py');
  const month = schema.slice(schema.indexOf('class MonthOut'));
  const metrics = [...month.split(/\n(?=\S)/)[0].matchAll(/^ {4}([a-z_]+): CountOut$/gm)]
    .map((m) => m[1]);
  assert.ok(metrics.length >= 5, `${metrics}`);
  for (const metric of metrics) assert.ok(CATALOGUE.es[`admin.metric.${metric}`], metric);
});

test('a fingerprint as typed becomes the pinned form; anything else is refused', () => {
  const hex = 'ab12'.repeat(16);
  assert.equal(normaliseFingerprint(hex), hex);
  assert.equal(normaliseFingerprint(groupFingerprint(hex.toUpperCase())), hex);
  assert.equal(normaliseFingerprint(` ${hex.match(/../g).join(':')}\n`), hex);
  assert.equal(normaliseFingerprint(hex.slice(2)), null); // 31 bytes
  assert.equal(normaliseFingerprint(`${hex}00`), null);
  assert.equal(normaliseFingerprint(`${hex.slice(1)}g`), null);
  assert.equal(groupFingerprint(hex).split(' ').length, 16);
});

test('a node address is an http(s) origin without a path', () => {
  assert.equal(normaliseNodeUrl(' https://peerhaven.example.org/ '), 'https://peerhaven.example.org');
  assert.equal(normaliseNodeUrl('http://127.0.0.1:8001'), 'http://127.0.0.1:8001');
  for (const bad of ['peerhaven.example.org', 'https://a.example/path', 'ftp://a.example',
    'https://a b.example', 'https://a.example?x=1', '']) {
    assert.equal(normaliseNodeUrl(bad), null, bad);
  }
});

test('the check-in sentence follows the locale and names only the day', () => {
  const event = { reason: 'event', event_date: '2026-03-12' };
  setLocale('en');
  assert.equal(checkinMessage(event).split(':')[0],
    'After the event your institution reported on 12 March');
  assert.match(checkinMessage({ reason: 'event', event_date: null }), /^After an event/);
  assert.match(checkinMessage({ reason: 'team', event_date: null }), /^Your team/);
  setLocale('es');
  assert.match(checkinMessage(event), /^Tras el evento que notificó tu institución el 12 de marzo:/);
  setLocale('en');
});
