/**
 * The profile matching uses: specialty (from the server's taxonomy), experience, languages and
 * time zone (pickers, not codes); for supporters also the topics they can help with, their
 * caps (conversations at once, new ones a week) and the hours they can usually talk.
 *
 * @module app/screens/profile
 */

import { busy, errorBox, field, h } from '../dom.js';
import { locale, t } from '../i18n.js';
import {
  LANGUAGE_CODES, careerStages, languageName, timeZones, topics,
} from '../vocabulary.js';

async function orNull(promise) {
  try {
    return await promise;
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

const toClock = (minutes) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:`
  + `${String(minutes % 60).padStart(2, '0')}`;
const fromClock = (text) => {
  const [hours, minutes] = text.split(':').map((n) => Number.parseInt(n, 10));
  return hours * 60 + minutes;
};

function checkboxes(name, pairs, checked) {
  return pairs.map(([code, label]) => {
    const box = h('input', { type: 'checkbox', name, value: code, id: `${name}-${code}`,
      checked: checked.includes(code) });
    return h('div', { class: 'check' }, box, h('label', { for: box.id, text: label }));
  });
}

const checkedValues = (boxes) => boxes.map((d) => d.querySelector('input'))
  .filter((b) => b.checked).map((b) => b.value);

function supporterFields(expertise) {
  const topicBoxes = checkboxes('exp', topics(), expertise?.topic_expertise ?? []);
  // The e2e tests and people alike find a topic by its code-based id (`exp-burnout`).
  const concurrent = h('input', { type: 'number', name: 'concurrent-cap', min: 0, max: 50,
    inputmode: 'numeric', value: expertise?.concurrent_cap ?? 2 });
  const weekly = h('input', { type: 'number', name: 'weekly-cap', min: 0, max: 50,
    inputmode: 'numeric', value: expertise?.weekly_cap ?? 3 });
  const window = expertise?.daily_hours?.[0];
  const from = h('input', { type: 'time', name: 'hours-from', step: 1800,
    value: window ? toClock(window.start) : '' });
  const to = h('input', { type: 'time', name: 'hours-to', step: 1800,
    value: window ? toClock(window.end) : '' });
  const element = h('fieldset', { class: 'supporter-settings' },
    h('legend', { text: t('profile.supporterTitle') }),
    h('fieldset', { class: 'checks grid' }, h('legend', { text: t('profile.expertise') }),
      ...topicBoxes),
    field(t('profile.concurrentCap'), concurrent),
    field(t('profile.weeklyCap'), weekly),
    h('fieldset', { class: 'hours' }, h('legend', { text: t('profile.hours') }),
      h('p', { class: 'hint', text: t('profile.hoursHint') }),
      h('div', { class: 'row' }, field(t('profile.from'), from), field(t('profile.to'), to))));
  const read = () => {
    if (Boolean(from.value) !== Boolean(to.value)) throw new Error(t('profile.needBothHours'));
    return {
      topic_expertise: checkedValues(topicBoxes),
      concurrent_cap: Number.parseInt(concurrent.value, 10),
      weekly_cap: Number.parseInt(weekly.value, 10),
      available: expertise?.available ?? true,
      daily_hours: from.value
        ? [{ start: fromClock(from.value), end: fromClock(to.value) },
          ...(expertise?.daily_hours ?? []).slice(1)]
        : [],
    };
  };
  return { element, read };
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
    h('option', { value: '', text: t('profile.chooseSpecialty') }),
    ...[...groups].map(([group, entries]) => h('optgroup', { label: group },
      ...entries.map((e) => h('option', { value: e.code, text: e.label,
        selected: current?.specialty === e.code })))));
  const years = h('input', { type: 'number', name: 'years', min: 0, max: 70, required: true,
    inputmode: 'numeric', value: current?.years_experience ?? '' });
  const stage = h('select', { name: 'stage', required: true },
    ...careerStages().map(([code, label]) => h('option', { value: code, text: label,
      selected: (current?.career_stage ?? 'mid-career') === code })));
  const mine = current?.languages
    ?? [(navigator.language || 'en').slice(0, 2).toLowerCase()];
  const codes = [...new Set([...mine, ...LANGUAGE_CODES])];
  const languageBoxes = checkboxes('lang',
    codes.map((code) => [code, languageName(code, locale())]), mine);
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const chosenZone = current?.time_zone ?? browserZone;
  const zones = [...new Set([chosenZone, ...timeZones()])];
  const zone = h('select', { name: 'time-zone', required: true },
    ...zones.map((name) => h('option', { value: name, text: name.replace(/_/g, ' '),
      selected: name === chosenZone })));
  const support = supporter ? supporterFields(expertise) : null;

  const error = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', text: t('profile.save') });
  const form = h('form', {},
    field(t('profile.specialty'), specialty),
    field(t('profile.years'), years),
    field(t('profile.stage'), stage),
    h('fieldset', { class: 'checks grid languages' },
      h('legend', { text: t('profile.languages') }), ...languageBoxes),
    field(t('profile.timeZone'), zone, t('profile.timeZoneHint')),
    support?.element,
    error, submit);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      if (!specialty.value) throw new Error(t('profile.needSpecialty'));
      const languages = checkedValues(languageBoxes);
      if (languages.length === 0) throw new Error(t('profile.needLanguage'));
      const settings = support?.read();
      await app.api.saveProfile({
        specialty: specialty.value,
        years_experience: Number.parseInt(years.value, 10),
        career_stage: stage.value,
        languages,
        time_zone: zone.value,
      });
      if (settings) await app.api.saveSupporterProfile(settings);
      app.go('#/home');
    });
  });

  return {
    title: t('profile.title'),
    element: h('section', { class: 'screen' },
      h('h1', { text: t('profile.title') }),
      h('p', { class: 'lead', text: t('profile.lead') }),
      form),
  };
}
