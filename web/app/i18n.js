/**
 * The one catalogue of UI strings (`catalogue.js`: English and Spanish, the same keys) and
 * `t(key, vars)`. The locale is the browser's first language we have (`navigator.languages`),
 * or one chosen with `setLocale` (kept in localStorage: a language, nothing about a person).
 * A missing key falls back to English, then to the key itself, so a gap shows, never breaks.
 *
 * @module app/i18n
 */

import { CATALOGUE } from './catalogue.js';

export const LOCALES = Object.freeze(Object.keys(CATALOGUE));
const STORAGE_KEY = 'peerhaven.locale';

let current = pickLocale();

function pickLocale() {
  let saved = null;
  try {
    saved = globalThis.localStorage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    saved = null;
  }
  if (saved && LOCALES.includes(saved)) return saved;
  const wanted = globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? 'en'];
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LOCALES.includes(base)) return base;
  }
  return 'en';
}

/** The locale in use ('en' or 'es'). */
export function locale() {
  return current;
}

/** Choose a locale (kept for the next visit); the caller re-renders. */
export function setLocale(code) {
  if (!LOCALES.includes(code)) return;
  current = code;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, code);
  } catch {
    // storage refused: the choice lasts for this page only
  }
  if (globalThis.document) document.documentElement.lang = code;
}

/**
 * The text for `key` in the current locale, `{name}` placeholders filled from `vars`.
 * @param {string} key
 * @param {Record<string, string|number>} [vars]
 */
export function t(key, vars = {}) {
  const text = CATALOGUE[current]?.[key] ?? CATALOGUE.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}
