/**
 * The language picker every signed-in screen ends with (home, administration): it changes the
 * locale (kept for the next visit, see i18n.js) and the app relabels itself.
 *
 * @module app/languages
 */

import { h } from './dom.js';
import { LOCALES, locale, setLocale, t } from './i18n.js';

// Each language by its own name, so someone who cannot read the current one finds theirs.
const NAMES = { en: 'English', es: 'Español' };

/** `<div class="field locale">` with a `<select id="locale">`; `app.relabel()` on change. */
export function languagePicker(app) {
  const select = h('select', { id: 'locale', name: 'locale' },
    ...LOCALES.map((code) => h('option', { value: code, text: NAMES[code] ?? code,
      selected: code === locale() })));
  select.addEventListener('change', () => {
    setLocale(select.value);
    app.relabel();
  });
  return h('div', { class: 'field locale' },
    h('label', { for: 'locale', text: t('home.language') }), select);
}
