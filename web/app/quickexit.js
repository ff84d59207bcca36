/**
 * Quick exit, as crisis services have: one tap leaves for a neutral page, locks the vault
 * (the keys in memory are dropped) and replaces this page in the history, so Back does not
 * return to the conversation. Escape pressed three times quickly does the same.
 *
 * @module app/quickexit
 */

import { t } from './i18n.js';

/** Where quick exit goes (the deployment's choice, from the crisis resources). */
let target = 'about:blank';

export function setQuickExitTarget(url) {
  if (typeof url === 'string' && /^(https:\/\/|about:blank$)/.test(url)) target = url;
}

/** The button's words, in the current locale. */
export function labelQuickExit(button) {
  button.textContent = t('quickExit.label');
  button.setAttribute('aria-label', t('quickExit.aria'));
}

/** Wire the header's quick-exit button; `lock()` drops the keys before leaving. */
export function setUpQuickExit(button, lock) {
  labelQuickExit(button);
  const leave = () => {
    try {
      lock();
    } finally {
      document.title = '';
      document.body.replaceChildren();
      location.replace(target);
    }
  };
  button.addEventListener('click', leave);
  let presses = [];
  window.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    const now = Date.now();
    presses = [...presses.filter((at) => now - at < 1500), now];
    if (presses.length >= 3) leave();
  });
}
