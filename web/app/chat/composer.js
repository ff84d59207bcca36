/**
 * The composer: a text box and a Send button. On a physical keyboard Enter sends and
 * Shift+Enter makes a new line; on a touch keyboard Enter makes a new line and only the Send
 * button sends (as in the messengers people use every day).
 *
 * @module app/chat/composer
 */

import { busy, errorBox, h } from '../dom.js';
import { t } from '../i18n.js';

/** Whether this device types on a touch keyboard (a coarse pointer and no fine one). */
export function touchTyping() {
  return matchMedia('(pointer: coarse)').matches && !matchMedia('(any-pointer: fine)').matches;
}

/**
 * @param {(text: string) => Promise<void>} onSend
 * @returns {{element: HTMLElement, text: HTMLTextAreaElement, error: HTMLElement,
 *   setEnabled: (on: boolean) => void}}
 */
export function composer(onSend) {
  const touch = touchTyping();
  const text = h('textarea', { id: 'message', name: 'message', rows: 1, maxlength: 8000,
    autocomplete: 'off', placeholder: t('chat.placeholder'),
    enterkeyhint: touch ? 'enter' : 'send', 'aria-describedby': 'composer-hint' });
  const send = h('button', { type: 'submit', class: 'primary send', text: t('chat.send') });
  const error = errorBox();
  const form = h('form', { class: 'composer' },
    h('label', { for: 'message', class: 'visually-hidden', text: t('chat.message') }),
    h('p', { id: 'composer-hint', class: 'visually-hidden',
      text: touch ? t('chat.hintTouch') : t('chat.hintKeyboard') }),
    text, send);
  const grow = () => {
    text.style.height = 'auto';
    text.style.height = `${Math.min(text.scrollHeight + 2, 160)}px`;
  };
  const submit = () => busy(send, error, async () => {
    const body = text.value.trim();
    if (!body) return;
    await onSend(body);
    text.value = '';
    grow();
    text.focus();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });
  text.addEventListener('input', grow);
  text.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || touch) return;
    event.preventDefault();
    submit();
  });
  return {
    element: h('div', { class: 'composer-wrap' }, error, form),
    text,
    error,
    setEnabled(on) {
      text.disabled = !on;
      send.disabled = !on;
    },
  };
}
