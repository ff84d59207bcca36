/**
 * Crisis resources, one tap away on every screen: the header's button opens them. They come
 * from the server's settings (`GET /api/v1/crisis-resources`, public); until they arrive, or if
 * the server cannot be reached, the page's built-in text stays.
 *
 * @module app/crisis
 */

import { h } from './dom.js';
import { t } from './i18n.js';
import { setQuickExitTarget } from './quickexit.js';

let resources = [];

/** Fetch the deployment's crisis lines and wire the header button to the dialog. */
export async function setUpCrisis(api) {
  const dialog = document.getElementById('crisis');
  const list = document.getElementById('crisis-list');
  const button = document.getElementById('crisis-button');
  const close = document.getElementById('crisis-close');
  labelCrisis();
  button.addEventListener('click', () => dialog.showModal());
  close.addEventListener('click', () => dialog.close());
  try {
    const found = await api.crisisResources();
    resources = found.resources;
    setQuickExitTarget(found.quick_exit_url);
    list.replaceChildren(...resources.map((line) => h('li', {}, ...linkify(line))));
  } catch {
    // keep the built-in lines
  }
}

/** The header's and the dialog's words, in the current locale. */
export function labelCrisis() {
  document.getElementById('crisis-button').textContent = t('crisis.button');
  document.getElementById('crisis-title').textContent = t('crisis.title');
  document.getElementById('crisis-intro').textContent = t('crisis.intro');
  document.getElementById('crisis-close').textContent = t('common.close');
  document.querySelector('.skip').textContent = t('common.skip');
}

/** The crisis lines as a list, for screens that show them inline (no supporter available). */
export function crisisList() {
  const lines = resources.length > 0 ? resources : [t('crisis.fallback')];
  return h('ul', { class: 'crisis-inline' }, ...lines.map((line) => h('li', {}, ...linkify(line))));
}

/**
 * Phone numbers become `tel:` links (one tap on a phone) and, on a line that says the number
 * takes texts, an `sms:` link too; the rest stays text.
 */
function linkify(line) {
  const parts = [];
  let last = 0;
  const texts = /\btext\b|\btexto\b|\bSMS\b/i.test(line);
  for (const match of line.matchAll(/\b(\d{3}|1-\d{3}-\d{3}-\d{4})\b/g)) {
    const number = match[1].replace(/-/g, '');
    parts.push(line.slice(last, match.index));
    parts.push(h('a', { href: `tel:${number}`, class: 'call', text: match[1] }));
    if (texts && number.length === 3) {
      parts.push(' (', h('a', { href: `sms:${number}`, class: 'call',
        text: t('crisis.textLink', { number: match[1] }) }), ')');
    }
    last = match.index + match[1].length;
  }
  parts.push(line.slice(last));
  return parts;
}
