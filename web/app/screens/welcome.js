/**
 * Redeem an invite and create this device's identity (optionally under a passphrase, folded
 * away so the primary action fits the first screen of a phone).
 *
 * @module app/screens/welcome
 */

import { IdentityKeyPair } from '../../js/protocol/keys.js';
import { Device } from '../device.js';
import { busy, errorBox, field, h, showError } from '../dom.js';
import { t } from '../i18n.js';

export async function render(app) {
  const retrying = app.vault.state === 'open'; // a key was made, the invite not yet accepted
  const code = h('input', { name: 'invite', required: true, autocomplete: 'off',
    autocapitalize: 'characters', spellcheck: 'false', inputmode: 'text', maxlength: 24 });
  const pass = h('input', { type: 'password', name: 'passphrase', autocomplete: 'new-password' });
  const again = h('input', { type: 'password', name: 'passphrase-again',
    autocomplete: 'new-password' });
  const understood = h('input', { type: 'checkbox', name: 'understood', id: 'understood',
    required: true, 'aria-describedby': 'identity-warning' });
  const error = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', text: t('welcome.create') });

  const form = h('form', { novalidate: true },
    field(t('welcome.invite'), code, t('welcome.inviteHint')),
    h('div', { class: 'warning', role: 'note', id: 'identity-warning' },
      h('h2', { text: t('welcome.warningTitle') }),
      h('p', { text: t('welcome.warning') })),
    h('div', { class: 'check' }, understood,
      h('label', { for: 'understood', text: t('welcome.understood') })),
    error,
    submit,
    retrying ? null : h('details', { class: 'passphrase' },
      h('summary', { text: t('welcome.passphraseToggle') }),
      h('p', { class: 'hint', text: t('welcome.passphraseHint') }),
      field(t('welcome.passphrase'), pass),
      field(t('welcome.passphraseAgain'), again)));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      if (!code.value.trim()) throw new Error(t('welcome.needCode'));
      if (!retrying && pass.value !== again.value) throw new Error(t('welcome.passphrasesDiffer'));
      if (!retrying && pass.value && pass.value.length < 8) {
        throw new Error(t('welcome.passphraseShort'));
      }
      if (!understood.checked) throw new Error(t('welcome.confirmWarning'));
      if (app.vault.state === 'empty') await app.vault.create(pass.value || null);
      app.device ??= new Device(IdentityKeyPair.generate());
      await app.device.register(app.api, app.vault, code.value);
      showError(error, null);
      app.go('#/profile');
    }, { 404: t('welcome.badInvite'), 409: t('welcome.badInvite'), 422: t('welcome.badInvite') });
  });

  return {
    title: t('welcome.title'),
    element: h('section', { class: 'screen' },
      h('h1', { text: t('welcome.heading') }),
      h('p', { class: 'lead', text: t('welcome.lead') }),
      form),
  };
}
