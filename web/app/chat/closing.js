/**
 * After a room ends: a closing card with what happened and what to do next (ask again, crisis
 * help, back to start), in place of the composer and the room's actions.
 *
 * @module app/chat/closing
 */

import { crisisList } from '../crisis.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @param {{handle: string, blocked: boolean, peerLeft: boolean}} what
 */
export function closingCard({ handle, blocked, peerLeft }) {
  const what = blocked ? t('closing.blocked', { handle })
    : peerLeft ? t('closing.peerLeft', { handle }) : t('closing.ended');
  return h('section', { class: 'card closing', 'aria-labelledby': 'closing-title' },
    h('h2', { id: 'closing-title', text: t('closing.title') }),
    h('p', { text: what }),
    h('p', { text: t('closing.thanks') }),
    h('div', { class: 'actions' },
      h('a', { href: '#/home', class: 'button primary', text: t('closing.askAgain') }),
      h('a', { href: '#/home', class: 'button', text: t('closing.home') })),
    h('p', { class: 'hint', text: t('crisis.now') }),
    crisisList());
}
