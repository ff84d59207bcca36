/**
 * Modal dialogs (`<dialog>`: focus moves in, Escape closes, focus returns to the opener).
 *
 * @module app/dialogs
 */

import { h } from './dom.js';
import { t } from './i18n.js';

/**
 * Show a modal with `title` and `body`; resolves with the `value` of the button pressed
 * (or "cancel" on Escape).
 * @param {{title: string, body: Array<Node|string>, buttons: Array<{label: string,
 *   value: string, kind?: string}>}} options
 * @returns {Promise<string>}
 */
export function modal({ title, body, buttons }) {
  const opener = document.activeElement;
  const titleId = `dialog-title-${Date.now()}`;
  const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'dialog' },
    h('h2', { id: titleId, text: title }),
    ...body,
    h('div', { class: 'actions' }, ...buttons.map((b) => h('button', {
      type: 'button', class: b.kind ?? 'secondary', text: b.label, value: b.value,
      onclick: () => dialog.close(b.value),
    }))));
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener instanceof HTMLElement) opener.focus();
      resolve(dialog.returnValue || 'cancel');
    });
    dialog.showModal();
    dialog.querySelector('.actions button')?.focus();
  });
}

/** Ask before doing something that cannot be undone. @returns {Promise<boolean>} */
export async function confirmAction(title, text, label) {
  const answer = await modal({
    title,
    body: [h('p', { text })],
    buttons: [{ label: t('common.cancel'), value: 'cancel' }, { label, value: 'ok', kind: 'danger' }],
  });
  return answer === 'ok';
}
