/**
 * The passphrase that opens this browser's keys; or forget the device.
 *
 * @module app/screens/unlock
 */

import { Device } from '../device.js';
import { busy, errorBox, field, h } from '../dom.js';
import { confirmAction } from '../dialogs.js';
import { t } from '../i18n.js';

export async function render(app) {
  const pass = h('input', { type: 'password', name: 'passphrase', required: true,
    autocomplete: 'current-password' });
  const error = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', text: t('unlock.submit') });
  const form = h('form', {}, field(t('unlock.passphrase'), pass), error, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      try {
        await app.vault.unlock(pass.value);
      } catch {
        pass.value = '';
        throw new Error(t('unlock.wrong'));
      }
      app.device = await Device.load(app.vault);
      await app.route();
    });
  });
  const forget = h('button', { type: 'button', class: 'link danger', text: t('unlock.forget'),
    onclick: async () => {
      if (await confirmAction(t('unlock.forgetTitle'), t('unlock.forgetText'),
        t('unlock.forgetConfirm'))) {
        await app.vault.destroy();
        location.reload();
      }
    } });
  return {
    title: t('unlock.title'),
    element: h('section', { class: 'screen' },
      h('h1', { text: t('unlock.heading') }),
      h('p', { text: t('unlock.lead') }),
      form, h('p', {}, forget)),
  };
}
