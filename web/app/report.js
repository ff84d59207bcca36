/**
 * "Get help / report" in a room: the category, an optional note, the received messages to
 * reveal; the report is sealed on this device to the network's moderators (docs/protocol.md
 * §14) and only ciphertext goes to the server. Where to get help now is on the dialog from the
 * start, and the deployment's three tiers (peer, employee assistance, crisis line) once sent.
 *
 * @module app/report
 */

import { b64decode } from '../js/protocol/encoding.js';
import { ModeratorPins } from '../js/protocol/moderators.js';
import { sealReport } from '../js/protocol/report.js';
import { crisisList } from './crisis.js';
import { busy, errorBox, h, shortTime } from './dom.js';
import { t } from './i18n.js';

/** The flag categories, in the order the dialog offers them (labels from the catalogue). */
export const CATEGORY_CODES = ['crisis', 'harassment', 'patient_safety', 'other'];
export const categoryLabel = (code) => t(`report.category.${code}`);
const MAX_REVEALED = 20;
const PINS = 'moderator-pins';
const key = (text) => b64decode(text, { field: 'key', length: 32, maxLength: 32 });

/** The received messages this device can reveal (it kept their franking keys and tags). */
function revealable(room) {
  return room.messages.filter((m) => m.dir === 'in' && m.franking && m.tag && m.delivery)
    .slice(-MAX_REVEALED);
}

/**
 * Send a flag for `room` (a `RoomState`); resolves with the server's answer, or null if the
 * member cancelled.
 * @param {import('./main.js').App} app
 * @param {import('./room.js').RoomState} room
 */
export async function sealAndFlag(app, room, { category, note, messages }) {
  const listing = await app.api.reportKeys(room.id);
  // Seal only to moderator keys this device can authenticate (docs/protocol.md §14.4): each
  // statement signed by its moderator's device key, the device pinned on first use.
  const stored = await app.vault.get(PINS);
  const pins = stored ? ModeratorPins.fromJSON(stored) : new ModeratorPins();
  const roster = pins.checkJson(listing.moderators ?? [], app.device.origin);
  await app.vault.put({ [PINS]: pins.toJSON() });
  let sealed = null;
  if (roster.reportKeys.length > 0) {
    sealed = sealReport({
      category, note,
      messages: messages.map((m) => ({
        id: m.delivery, sender: room.peer, plaintext: new TextEncoder().encode(m.text),
        frankingKey: key(m.franking), tag: key(m.tag),
      })),
    }, { room: room.id, recipients: roster.reportKeys });
  }
  const flag = await app.api.flagRoom(room.id, { category, sealed_report: sealed });
  return { ...flag, roster };
}

/** The member trusts the new moderator devices the last report left out. */
async function trustNewModerators(app) {
  const stored = await app.vault.get(PINS);
  if (!stored) return;
  const pins = ModeratorPins.fromJSON(stored);
  pins.acceptOffered();
  await app.vault.put({ [PINS]: pins.toJSON() });
}

/** What the member should know about who could read the report. */
function rosterNotice(app, roster) {
  const parts = [];
  if (roster.forged > 0) parts.push(h('p', { text: t('report.keysRefused') }));
  if (roster.new > 0) {
    const trust = h('button', { type: 'button', class: 'secondary',
      text: t('report.trustNew') });
    trust.addEventListener('click', async () => {
      await trustNewModerators(app);
      trust.replaceWith(h('p', { class: 'hint', text: t('report.trusted') }));
    });
    parts.push(h('p', { text: t('report.newModerators', { count: roster.new }) }), trust);
  }
  if (roster.reportKeys.length === 0) parts.push(h('p', { text: t('report.noReport') }));
  return parts.length > 0
    ? h('div', { class: 'notice', 'data-testid': 'report-keys-notice' }, ...parts) : null;
}

function tiers(resources) {
  return h('ol', { class: 'crisis-tiers', 'data-testid': 'crisis-tiers' },
    h('li', {}, h('strong', { text: t('report.tierPeer') }), resources.peer),
    h('li', {}, h('strong', { text: t('report.tierEap') }), resources.employee_assistance),
    h('li', {}, h('strong', { text: t('report.tierLine') }), resources.crisis_line));
}

/** Open the dialog for `room`. @returns {Promise<void>} once it is closed */
export function reportDialog(app, room) {
  const opener = document.activeElement;
  const radios = CATEGORY_CODES.map((code, i) => {
    const radio = h('input', { type: 'radio', name: 'category', value: code,
      id: `category-${code}`, checked: i === 0 });
    return h('div', { class: 'check' }, radio,
      h('label', { for: radio.id }, h('strong', { text: categoryLabel(code) }),
        ` · ${t(`report.hint.${code}`)}`));
  });
  const note = h('textarea', { id: 'report-note', rows: 3, maxlength: 4000 });
  const picks = revealable(room).map((m, i) => {
    const box = h('input', { type: 'checkbox', id: `reveal-${i}`, value: String(i) });
    return [m, h('div', { class: 'check' }, box, h('label', { for: box.id },
      h('span', { class: 'hint', text: `${shortTime(m.ts)} ` }), m.text))];
  });
  const error = errorBox();
  const send = h('button', { type: 'submit', class: 'danger', text: t('report.send') });
  const cancel = h('button', { type: 'button', class: 'secondary', text: t('report.cancel') });
  const form = h('form', { class: 'report-form' },
    h('fieldset', { class: 'checks' }, h('legend', { text: t('report.what') }), ...radios),
    h('div', { class: 'field' }, h('label', { for: note.id, text: t('report.note') }), note),
    picks.length > 0 ? h('fieldset', { class: 'checks reveal' },
      h('legend', { text: t('report.reveal') }),
      ...picks.map(([, el]) => el)) : null,
    error, h('div', { class: 'actions' }, cancel, send));
  const dialog = h('dialog', { class: 'dialog report', 'aria-labelledby': 'report-title' },
    h('h2', { id: 'report-title', text: t('report.title') }),
    h('div', { class: 'notice' }, h('p', { text: t('report.dangerNow') }), crisisList()),
    form);
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(send, error, async () => {
      const category = form.querySelector('input[name=category]:checked').value;
      const messages = picks.filter(([, el]) => el.querySelector('input').checked)
        .map(([m]) => m);
      const flag = await sealAndFlag(app, room, { category, note: note.value.trim(), messages });
      const close = h('button', { type: 'button', class: 'primary', text: t('report.close'),
        onclick: () => dialog.close() });
      form.replaceWith(h('div', { role: 'status', 'data-testid': 'report-sent' },
        h('p', { text: t('report.sent') }),
        tiers(flag.crisis_resources), rosterNotice(app, flag.roster),
        h('div', { class: 'actions' }, close)));
      close.focus();
    });
  });
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener instanceof HTMLElement) opener.focus();
      resolve();
    });
    dialog.showModal();
    radios[0].querySelector('input').focus();
  });
}
