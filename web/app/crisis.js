/**
 * Crisis resources, one tap away on every screen: the header's button opens them. They come
 * from the server's settings (`GET /api/v1/crisis-resources`, public); until they arrive, or if
 * the server cannot be reached, the page's built-in text stays.
 *
 * @module app/crisis
 */

import { h } from './dom.js';

let resources = [];

/** Fetch the deployment's crisis lines and wire the header button to the dialog. */
export async function setUpCrisis(api) {
  const dialog = document.getElementById('crisis');
  const list = document.getElementById('crisis-list');
  document.getElementById('crisis-button').addEventListener('click', () => dialog.showModal());
  document.getElementById('crisis-close').addEventListener('click', () => dialog.close());
  try {
    resources = (await api.crisisResources()).resources;
    list.replaceChildren(...resources.map((line) => h('li', {}, ...linkify(line))));
  } catch {
    // keep the built-in lines
  }
}

/** The crisis lines as a list, for screens that show them inline (no supporter available). */
export function crisisList() {
  const lines = resources.length > 0 ? resources
    : ['If you are in immediate danger, call your local emergency number.'];
  return h('ul', { class: 'crisis-inline' }, ...lines.map((line) => h('li', {}, ...linkify(line))));
}

/** Phone numbers become `tel:` links (one tap on a phone); the rest stays text. */
function linkify(line) {
  const parts = [];
  let last = 0;
  for (const match of line.matchAll(/\b(\d{3}|1-\d{3}-\d{3}-\d{4})\b/g)) {
    parts.push(line.slice(last, match.index));
    parts.push(h('a', { href: `tel:${match[1].replace(/-/g, '')}`, text: match[1] }));
    last = match.index + match[1].length;
  }
  parts.push(line.slice(last));
  return parts;
}
