/**
 * Unlock the vault with its passphrase (or forget this device).
 *
 * @module app/screens/unlock
 */

import { Device } from '../device.js';
import { busy, errorBox, field, h } from '../dom.js';
import { confirmAction } from '../dialogs.js';

export async function render(app) {
  const pass = h('input', { type: 'password', name: 'passphrase', required: true,
    autocomplete: 'current-password' });
  const error = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Unlock' });
  const form = h('form', {}, field('Passphrase', pass), error, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      try {
        await app.vault.unlock(pass.value);
      } catch {
        pass.value = '';
        throw new Error('That passphrase does not open the keys in this browser.');
      }
      app.device = await Device.load(app.vault);
      await app.route();
    });
  });
  const forget = h('button', { type: 'button', class: 'link danger', text: 'Forget this device',
    onclick: async () => {
      if (await confirmAction('Forget this device?', 'This deletes your identity and your '
        + 'conversations from this browser. You will need a new invite.', 'Delete everything')) {
        await app.vault.destroy();
        location.reload();
      }
    } });
  return {
    title: 'Unlock',
    element: h('section', { class: 'screen' },
      h('h1', { text: 'Unlock Peerhaven' }),
      h('p', { text: 'Your keys in this browser are locked with your passphrase.' }),
      form, h('p', {}, forget)),
  };
}
