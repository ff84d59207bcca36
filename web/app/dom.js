/**
 * Building the page without innerHTML: every text goes in as a text node, so nothing typed by
 * a peer (or sent by the server) can become markup.
 *
 * @module app/dom
 */

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
 */
export async function busy(button, box, action) {
  if (button.disabled) return;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  showError(box, null);
  try {
    await action();
  } catch (error) {
    showError(box, friendlyError(error));
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** A message for people, never with key material (errors here carry none). */
export function friendlyError(error) {
  if (error && typeof error.detail === 'string' && error.detail) return error.detail;
  if (error instanceof TypeError && /fetch/i.test(error.message)) {
    return 'The server cannot be reached. Check your connection and try again.';
  }
  return error?.message || 'Something went wrong. Please try again.';
}

/** Format an ISO time as a short local time. */
export function shortTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
