/**
 * "Get help / report" in a room: the category, an optional note, the received messages to
 * reveal; the report is sealed on this device to the network's moderators (docs/protocol.md
 * §14) and only ciphertext goes to the server. Where to get help now is on the dialog from the
 * start, and the deployment's three tiers (peer, employee assistance, crisis line) once sent.
 *
 * @module app/report
 */

import { b64decode } from '../js/protocol/encoding.js';
import { sealReport } from '../js/protocol/report.js';
import { crisisList } from './crisis.js';
import { busy, errorBox, h, shortTime } from './dom.js';

export const CATEGORIES = [
  ['crisis', 'I am worried someone may hurt themselves', 'A moderator is told at once.'],
  ['harassment', 'Harassment or abuse', 'Threatening, demeaning or unwanted messages.'],
  ['patient_safety', 'Patient safety', 'A disclosed error or negligence that may still put '
    + 'patients at risk.'],
  ['other', 'Something else', 'Anything a moderator should look at.'],
];
const MAX_REVEALED = 20;
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
  const { keys } = await app.api.reportKeys(room.id);
  let sealed = null;
  if (keys.length > 0) {
    sealed = sealReport({
      category, note,
      messages: messages.map((m) => ({
        id: m.delivery, sender: room.peer, plaintext: new TextEncoder().encode(m.text),
        frankingKey: key(m.franking), tag: key(m.tag),
      })),
    }, { room: room.id, recipients: keys.map(key) });
  }
  return app.api.flagRoom(room.id, { category, sealed_report: sealed });
}

function tiers(resources) {
  return h('ol', { class: 'crisis-tiers', 'data-testid': 'crisis-tiers' },
    h('li', {}, h('strong', { text: 'A peer: ' }), resources.peer),
    h('li', {}, h('strong', { text: 'Employee assistance: ' }), resources.employee_assistance),
    h('li', {}, h('strong', { text: 'Crisis line: ' }), resources.crisis_line));
}

/** Open the dialog for `room`. @returns {Promise<void>} once it is closed */
export function reportDialog(app, room) {
  const opener = document.activeElement;
  const radios = CATEGORIES.map(([code, label, hint], i) => {
    const radio = h('input', { type: 'radio', name: 'category', value: code,
      id: `category-${code}`, checked: i === 0 });
    return h('div', { class: 'check' }, radio,
      h('label', { for: radio.id }, h('strong', { text: label }), ` · ${hint}`));
  });
  const note = h('textarea', { id: 'report-note', rows: 3, maxlength: 4000 });
  const picks = revealable(room).map((m, i) => {
    const box = h('input', { type: 'checkbox', id: `reveal-${i}`, value: String(i) });
    return [m, h('div', { class: 'check' }, box, h('label', { for: box.id },
      h('span', { class: 'hint', text: `${shortTime(m.ts)} ` }), m.text))];
  });
  const error = errorBox();
  const send = h('button', { type: 'submit', class: 'danger', text: 'Send to a moderator' });
  const cancel = h('button', { type: 'button', class: 'secondary', text: 'Cancel' });
  const form = h('form', { class: 'report-form' },
    h('fieldset', { class: 'checks' }, h('legend', { text: 'What is wrong?' }), ...radios),
    h('div', { class: 'field' }, h('label', { for: note.id, text: 'Note for the moderator '
      + '(optional, only moderators can read it)' }), note),
    picks.length > 0 ? h('fieldset', { class: 'checks reveal' },
      h('legend', { text: 'Messages to show the moderator (only they can read them)' }),
      ...picks.map(([, el]) => el)) : null,
    error, h('div', { class: 'actions' }, cancel, send));
  const dialog = h('dialog', { class: 'dialog report', 'aria-labelledby': 'report-title' },
    h('h2', { id: 'report-title', text: 'Get help / report' }),
    h('div', { class: 'notice' }, h('p', { text: 'If someone is in danger now:' }), crisisList()),
    form);
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(send, error, async () => {
      const category = form.querySelector('input[name=category]:checked').value;
      const messages = picks.filter(([, el]) => el.querySelector('input').checked)
        .map(([m]) => m);
      const flag = await sealAndFlag(app, room, { category, note: note.value.trim(), messages });
      const close = h('button', { type: 'button', class: 'primary', text: 'Close',
        onclick: () => dialog.close() });
      form.replaceWith(h('div', { role: 'status', 'data-testid': 'report-sent' },
        h('p', { text: 'A moderator has been told. While you wait, help is here:' }),
        tiers(flag.crisis_resources), h('div', { class: 'actions' }, close)));
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
