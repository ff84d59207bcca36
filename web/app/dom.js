/**
 * Building the page without innerHTML: every text goes in as a text node, so nothing typed by
 * a peer (or sent by the server) can become markup.
 *
 * @module app/dom
 */

import { t } from './i18n.js';

/**
 * Create an element. `attrs` keys: `class`, `text`, `on<event>` (a listener), any attribute
 * (`true` sets it empty, `false`/`null`/`undefined` leaves it out).
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'text') el.textContent = String(value);
    else if (name === 'class') el.className = value;
    else if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** @param {Node} parent @param {Array<Node|string|null|undefined|false>} children */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

let ids = 0;
/** A fresh element id, for `for=` / `aria-describedby=`. */
export function uid(prefix = 'f') {
  ids += 1;
  return `${prefix}-${ids}`;
}

/**
 * A labelled form field: `<div class="field"><label>…</label>control<p hint></p></div>`.
 * @param {string} label
 * @param {HTMLElement} control its `id` is set here
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  control.id ||= uid();
  const parts = [h('label', { for: control.id, text: label }), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('p', { class: 'hint', id: hintId, text: hint }));
  }
  return h('div', { class: 'field' }, ...parts);
}

/** A region that shows a form's error and is read out when it changes. */
export function errorBox() {
  return h('p', { class: 'error', role: 'alert', hidden: true });
}

/** @param {HTMLElement} box @param {string|null} message */
export function showError(box, message) {
  box.textContent = message ?? '';
  box.hidden = !message;
}

/**
 * Run `action` while `button` shows it is busy; errors go to `box`.
 * @param {HTMLButtonElement} button
 * @param {HTMLElement} box
 * @param {() => Promise<void>} action
 * @param {Record<number, string>} [byStatus] what a status means here (see friendlyError)
 */
export async function busy(button, box, action, byStatus = {}) {
  if (button.disabled) return;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  showError(box, null);
  try {
    await action();
  } catch (error) {
    showError(box, friendlyError(error, byStatus));
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/**
 * A message for people, in plain words with a next step, never with key material or the
 * server's field paths ("invite_code: String should have…"). `byStatus` lets a screen say
 * what a status means there (an invalid invite: ask the wellbeing office).
 * @param {unknown} error
 * @param {Record<number, string>} [byStatus]
 */
export function friendlyError(error, byStatus = {}) {
  const status = error?.status;
  if (typeof status === 'number') {
    if (byStatus[status]) return byStatus[status];
    if (status === 409 && error.detail) return capitalise(error.detail); // already plain words
    if (status === 401) return t('error.session');
    if (status === 403) return t('error.forbidden');
    if (status === 404) return t('error.notFound');
    if (status === 413) return t('error.tooLarge');
    if (status === 422) return t('error.invalid');
    if (status === 429) return t('error.tooMany');
    if (status >= 500) return t('error.server');
    return t('error.generic');
  }
  if (error instanceof TypeError || !navigator.onLine) return t('error.offline');
  return error?.message || t('error.generic');
}

function capitalise(text) {
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** Format an ISO time as a short local time. */
export function shortTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleTimeString(document.documentElement.lang || [], { hour: '2-digit',
      minute: '2-digit' });
}
