/**
 * Redeem an invite and create this device's identity (optionally under a passphrase).
 *
 * @module app/screens/welcome
 */

import { IdentityKeyPair } from '../../js/protocol/keys.js';
import { Device } from '../device.js';
import { busy, errorBox, field, h, showError } from '../dom.js';

export async function render(app) {
  const retrying = app.vault.state === 'open'; // a key was made, the invite not yet accepted
  const code = h('input', { name: 'invite', required: true, autocomplete: 'off',
    autocapitalize: 'characters', spellcheck: 'false', inputmode: 'text', maxlength: 24 });
  const pass = h('input', { type: 'password', name: 'passphrase', autocomplete: 'new-password' });
  const again = h('input', { type: 'password', name: 'passphrase-again',
    autocomplete: 'new-password' });
  const understood = h('input', { type: 'checkbox', name: 'understood', id: 'understood',
    required: true });
  const error = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Create my identity' });

  const form = h('form', { novalidate: true },
    field('Invite code', code, 'From your institution, e.g. 7K3M-Q9RT-X2VB-HN4P.'),
    retrying ? null : h('fieldset', {},
      h('legend', { text: 'Passphrase (optional)' }),
      h('p', { class: 'hint', text: 'Locks the keys in this browser. You will type it each time '
        + 'you open Peerhaven. It cannot be reset.' }),
      field('Passphrase', pass),
      field('Passphrase again', again)),
    h('div', { class: 'warning', role: 'note' },
      h('h2', { text: 'Your identity lives only in this browser' }),
      h('p', { text: 'Peerhaven keeps your keys on this device, not on the server. Clearing this '
        + "site's data, using private browsing, or losing this phone deletes your identity and "
        + 'your conversations for good; you would need a new invite.' })),
    h('div', { class: 'check' }, understood,
      h('label', { for: 'understood',
        text: 'I understand that clearing site data deletes my identity.' })),
    error,
    submit);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      if (!code.value.trim()) throw new Error('Enter the invite code.');
      if (!retrying && pass.value !== again.value) throw new Error('The passphrases differ.');
      if (!retrying && pass.value && pass.value.length < 8) {
        throw new Error('Use a passphrase of at least 8 characters, or none.');
      }
      if (!understood.checked) throw new Error('Please confirm you understand the warning.');
      if (app.vault.state === 'empty') await app.vault.create(pass.value || null);
      app.device ??= new Device(IdentityKeyPair.generate());
      await app.device.register(app.api, app.vault, code.value);
      showError(error, null);
      app.go('#/profile');
    });
  });

  return {
    title: 'Welcome',
    element: h('section', { class: 'screen' },
      h('h1', { text: 'Welcome to Peerhaven' }),
      h('p', { class: 'lead', text: 'Confidential peer support for clinicians, from a trained '
        + 'peer at another institution. Your conversations are end-to-end encrypted; your peer '
        + 'sees a pseudonym, never your name or institution.' }),
      form),
  };
}
