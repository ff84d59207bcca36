/**
 * The "Notifications on this device" card of the home screen: turns Web Push on or off. What
 * a notice says is fixed (web/sw.js): never a name, a pseudonym or a message.
 *
 * @module app/notices
 */

import { busy, errorBox, h } from './dom.js';
import { t } from './i18n.js';
import {
  currentSubscription, disablePush, enablePush, notificationPermission,
} from './push.js';

/** The card, or null where this browser cannot get pushes. */
export async function notificationsCard(app) {
  if (notificationPermission() === 'unsupported') return null;
  const state = h('p', { id: 'notify-state' });
  const error = errorBox();
  const button = h('button', { type: 'button', class: 'secondary', id: 'notify-toggle' });
  const show = async () => {
    const on = notificationPermission() === 'granted' && (await currentSubscription()) !== null;
    state.textContent = notificationPermission() === 'denied' ? t('notify.blocked')
      : on ? t('notify.on') : t('notify.off');
    button.textContent = on ? t('notify.turnOff') : t('notify.turnOn');
    button.hidden = notificationPermission() === 'denied';
    button.dataset.on = String(on);
  };
  button.addEventListener('click', () => busy(button, error, async () => {
    if (button.dataset.on === 'true') await disablePush(app.api);
    else if (!(await enablePush(app.api))) throw new Error(t('notify.notAllowed'));
    await show();
  }));
  await show().catch(() => {});
  return h('section', { class: 'card', 'aria-labelledby': 'notify-title' },
    h('h2', { id: 'notify-title', text: t('notify.title') }),
    h('p', { class: 'hint', text: t('notify.hint') }),
    state, error, button);
}
