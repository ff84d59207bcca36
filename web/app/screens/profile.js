/**
 * The profile matching uses: specialty (from the server's taxonomy), experience, languages,
 * time zone; for supporters also the topics they can help with.
 *
 * @module app/screens/profile
 */

import { busy, errorBox, field, h } from '../dom.js';
import { CAREER_STAGES, TOPICS } from '../vocabulary.js';

async function orNull(promise) {
  try {
    return await promise;
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

export async function render(app) {
  const supporter = app.me.role === 'supporter';
  const [specialties, current, expertise] = await Promise.all([
    app.api.specialties(),
    orNull(app.api.profile()),
    supporter ? orNull(app.api.supporterProfile()) : null,
  ]);

  const groups = new Map();
  for (const entry of specialties) {
    if (!groups.has(entry.path[0])) groups.set(entry.path[0], []);
    groups.get(entry.path[0]).push(entry);
  }
  const specialty = h('select', { name: 'specialty', required: true },
    h('option', { value: '', text: 'Choose your specialty…' }),
    ...[...groups].map(([group, entries]) => h('optgroup', { label: group },
      ...entries.map((e) => h('option', { value: e.code, text: e.label,
        selected: current?.specialty === e.code })))));
  const years = h('input', { type: 'number', name: 'years', min: 0, max: 70, required: true,
    inputmode: 'numeric', value: current?.years_experience ?? '' });
  const stage = h('select', { name: 'stage', required: true },
    ...CAREER_STAGES.map(([code, label]) => h('option', { value: code, text: label,
      selected: (current?.career_stage ?? 'mid-career') === code })));
  const languages = h('input', { name: 'languages', required: true, autocomplete: 'off',
    value: (current?.languages ?? [navigator.language.slice(0, 2).toLowerCase() || 'en'])
      .join(', ') });
  const zone = h('input', { name: 'time-zone', required: true, autocomplete: 'off',
    value: current?.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC' });
  const topicBoxes = TOPICS.map(([code, label]) => {
    const box = h('input', { type: 'checkbox', name: 'expertise', value: code, id: `exp-${code}`,
      checked: expertise?.topic_expertise?.includes(code) });
    return h('div', { class: 'check' }, box, h('label', { for: box.id, text: label }));
  });

  const error = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Save profile' });
  const form = h('form', {},
    field('Specialty', specialty),
    field('Years of clinical experience', years),
    field('Career stage', stage),
    field('Languages you can talk in', languages, 'Two-letter codes, comma-separated: en, es'),
    field('Time zone', zone, 'e.g. America/Chicago'),
    supporter ? h('fieldset', { class: 'checks' },
      h('legend', { text: 'Topics you can support others with' }), ...topicBoxes) : null,
    error, submit);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      if (!specialty.value) throw new Error('Choose your specialty.');
      await app.api.saveProfile({
        specialty: specialty.value,
        years_experience: Number.parseInt(years.value, 10),
        career_stage: stage.value,
        languages: languages.value.split(/[\s,]+/).filter(Boolean).map((l) => l.toLowerCase()),
        time_zone: zone.value.trim(),
      });
      if (supporter) {
        await app.api.saveSupporterProfile({
          topic_expertise: topicBoxes.map((d) => d.querySelector('input'))
            .filter((b) => b.checked).map((b) => b.value),
          concurrent_cap: expertise?.concurrent_cap ?? 2,
          weekly_cap: expertise?.weekly_cap ?? 3,
          available: expertise?.available ?? true,
          daily_hours: expertise?.daily_hours ?? [],
        });
      }
      app.go('#/home');
    });
  });

  return {
    title: 'Your profile',
    element: h('section', { class: 'screen' },
      h('h1', { text: 'Your profile' }),
      h('p', { class: 'lead', text: 'Used only to find a good match. Your peer sees your '
        + 'specialty and an experience band, never your name or institution.' }),
      form),
  };
}
