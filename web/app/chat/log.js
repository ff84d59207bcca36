/**
 * The message list of a room: a scrolling region that follows the newest message while the
 * reader is at the bottom and, when they have scrolled up, shows a "New messages" pill instead
 * of pulling them down. Day separators ("Today", "Yesterday", a date) between days. The log
 * region is a `div role="log"` around a plain `ol`, so the items stay list items.
 *
 * @module app/chat/log
 */

import { h } from '../dom.js';
import { locale, t } from '../i18n.js';

const NEAR_BOTTOM_PX = 48;

/** A message's state as words, for its sender. */
export function stateText(state, offline) {
  if (state === 'sending' && offline) return t('chat.state.waiting');
  return t(`chat.state.${state}`);
}

function dayKey(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

function dayLabel(iso) {
  const d = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(iso) === dayKey(today.toISOString())) return t('chat.today');
  if (dayKey(iso) === dayKey(yesterday.toISOString())) return t('chat.yesterday');
  return d.toLocaleDateString(locale(), { weekday: 'long', day: 'numeric', month: 'long' });
}

function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? ''
    : d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
}

export class MessageLog {
  #shown = 0;
  #lastDay = '';
  #offline = false;

  /** @param {string} peerHandle */
  constructor(peerHandle) {
    this.peerHandle = peerHandle;
    this.list = h('ol', { class: 'log' });
    this.pill = h('button', { type: 'button', class: 'new-pill', hidden: true,
      text: t('chat.newMessages'), onclick: () => this.scrollToEnd(true) });
    this.log = h('div', { role: 'log', 'aria-live': 'polite', 'aria-label': t('chat.messages') },
      this.list);
    this.footer = h('div', { class: 'log-footer' });
    this.scroller = h('div', { class: 'log-scroll', tabindex: '0',
      'aria-label': t('chat.messages'), role: 'region' }, this.log, this.footer);
    this.scroller.addEventListener('scroll', () => {
      if (this.atBottom()) this.pill.hidden = true;
    }, { passive: true });
    this.element = h('div', { class: 'log-wrap' }, this.scroller, this.pill);
  }

  atBottom() {
    const el = this.scroller;
    return el.scrollHeight - el.scrollTop - el.clientHeight <= NEAR_BOTTOM_PX;
  }

  scrollToEnd(smooth = false) {
    this.scroller.scrollTo({ top: this.scroller.scrollHeight, behavior: smooth ? 'smooth' : 'auto' });
    this.pill.hidden = true;
  }

  /** Put `element` after the last message (the closing card), in view. */
  setFooter(element) {
    this.footer.replaceChildren(element);
    this.scrollToEnd();
  }

  /** Whether pending messages should say they wait for the connection. */
  setOffline(offline, messages) {
    this.#offline = offline;
    this.#redrawStates(messages, true);
  }

  /**
   * Show what is new in `messages` (append-only, so a screen reader hears only the new ones)
   * and redraw the states of sent ones. Returns the incoming messages that were appended.
   */
  update(messages) {
    const follow = this.#shown === 0 || this.atBottom();
    const added = [];
    for (const message of messages.slice(this.#shown)) {
      const day = dayKey(message.ts);
      if (day && day !== this.#lastDay) {
        this.list.append(h('li', { class: 'day' }, h('span', { text: dayLabel(message.ts) })));
        this.#lastDay = day;
      }
      this.list.append(this.#item(message));
      if (message.dir === 'in') added.push(message);
    }
    const mineAdded = messages.slice(this.#shown).some((m) => m.dir === 'out');
    this.#shown = messages.length;
    this.#redrawStates(messages, false);
    if (follow || mineAdded) this.scrollToEnd();
    else if (added.length > 0) this.pill.hidden = false;
    return added;
  }

  #item(message) {
    const mine = message.dir === 'out';
    return h('li', { class: `message ${mine ? 'mine' : 'theirs'}`, 'data-id': message.id },
      h('span', { class: 'who', text: mine ? t('chat.you') : this.peerHandle }),
      h('p', { class: 'text', text: message.text }),
      h('span', { class: 'meta' }, h('time', { datetime: message.ts, text: clock(message.ts) }),
        mine ? h('span', { class: `state ${message.state}`, 'data-state': message.state,
          text: ` · ${stateText(message.state, this.#offline)}` }) : null));
  }

  #redrawStates(messages, force) {
    for (const message of messages) {
      if (message.dir !== 'out') continue;
      const el = this.list.querySelector(`li[data-id="${CSS.escape(message.id)}"] .state`);
      if (!el || (!force && el.dataset.state === message.state)) continue;
      el.dataset.state = message.state;
      el.className = `state ${message.state}`;
      el.textContent = ` · ${stateText(message.state, this.#offline)}`;
    }
  }
}
