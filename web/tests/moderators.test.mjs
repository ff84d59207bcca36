// Members pin moderator report keys (docs/protocol.md §14.4): the browser replays the listings
// of crypto/report_vectors.json and decides as crypto/moderators.py does.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { encoding, moderators, reportVectors } from './support/protocol.mjs';

const v = reportVectors.moderator_roster;

test('the listings replay: pinned first, then a swapped and an added key refused', () => {
  const pins = new moderators.ModeratorPins();
  for (const listing of v.listings) {
    const listed = listing.listed.map(moderators.moderatorKeyFromJson);
    const roster = pins.check(listed, v.origin);
    assert.deepEqual(roster.reportKeys.map((k) => encoding.b64encode(k)), listing.report_keys);
    assert.equal(roster.forged, listing.forged);
    assert.equal(roster.new, listing.new);
  }
  const again = moderators.ModeratorPins.fromJSON(JSON.parse(JSON.stringify(pins)));
  assert.deepEqual(again.toJSON(), pins.toJSON());
  again.acceptOffered();
  const last = v.listings[1].listed.map(moderators.moderatorKeyFromJson);
  assert.equal(again.check(last, v.origin).reportKeys.length, 2);
});

test('malformed statements and pins are refused', () => {
  assert.throws(() => moderators.moderatorKeyFromJson({ device_key: 'AA' }));
  assert.throws(() => moderators.ModeratorPins.fromJSON({ v: 2, pinned: [], offered: [] }));
});

test('a malformed listing counts as forged and never throws', () => {
  const pins = new moderators.ModeratorPins();
  const roster = pins.checkJson([v.listings[0].listed[0], { device_key: 'x' }, 7], v.origin);
  assert.equal(roster.reportKeys.length, 1);
  assert.equal(roster.forged, 2);
  assert.equal(new moderators.ModeratorPins().checkJson('nope', v.origin).forged, 1);
});
