/**
 * Check-ins on the clinician's home screen: the private offer after an event the institution
 * reported ("Talk to a peer" / "Not now" / "No thanks"), and the opt-in link of the staff
 * identifier (the server keeps only a keyed hash of it; the institution never learns who
 * linked). Routes: server/api/routes/checkins.py.
 *
 * The offer's words are built here from its reason and date (the server's `message` is the
 * same sentence in English), so they follow the chosen locale.
 *
 * @module app/screens/checkin
 */

import { busy, errorBox, friendlyError, h, showError } from '../dom.js';
import { locale, t } from '../i18n.js';

/** "After the event your institution reported on 12 March: …", in the current locale. */
export function checkinMessage(checkin) {
  if (checkin.reason === 'team') return t('checkins.teamMessage');
  const date = checkin.event_date ? new Date(`${checkin.event_date}T00:00:00Z`) : null;
  if (!date || Number.isNaN(date.getTime())) return t('checkins.event');
  const month = date.toLocaleDateString(locale(), { month: 'long', timeZone: 'UTC' });
  return t('checkins.eventOn', { day: date.getUTCDate(), month });
}

function offerCard(app, checkin, refresh) {
  const error = errorBox();
  const talk = h('button', { type: 'button', class: 'primary', text: t('checkins.talk') });
  const later = h('button', { type: 'button', class: 'secondary', text: t('checkins.later') });
  const no = h('button', { type: 'button', class: 'secondary', text: t('checkins.no') });
  talk.addEventListener('click', () => busy(talk, error, async () => {
    const answered = await app.api.acceptCheckin(checkin.id);
    await app.vault.put({ request: { id: answered.request.id } });
    app.go(`#/request/${answered.request.id}`);
  }, { 409: t('checkins.gone') }));
  later.addEventListener('click', () => busy(later, error, async () => {
    await app.api.snoozeCheckin(checkin.id);
    await refresh();
  }, { 409: t('checkins.gone') }));
  no.addEventListener('click', () => busy(no, error, async () => {
    await app.api.declineCheckin(checkin.id);
    await refresh();
  }, { 409: t('checkins.gone') }));
  const titleId = `checkin-${checkin.id}`;
  return h('li', { class: 'offer checkin', 'aria-labelledby': titleId },
    h('h3', { id: titleId, text: t('checkins.offerTitle') }),
    h('p', { text: checkinMessage(checkin) }),
    h('p', { class: 'hint', text: checkin.reminded ? t('checkins.reminder')
      : t('checkins.private') }),
    error,
    h('div', { class: 'actions' }, talk, later, no));
}

function linkForm(app, link, refresh) {
  const error = errorBox();
  const staff = h('input', { id: 'staff-identifier', autocomplete: 'off', maxlength: 64,
    required: true, spellcheck: 'false', 'aria-describedby': 'staff-identifier-hint' });
  const team = h('input', { id: 'staff-team', autocomplete: 'off', maxlength: 64,
    'aria-describedby': 'staff-team-hint' });
  const save = h('button', { type: 'submit', class: 'primary',
    text: link.linked ? t('checkins.update') : t('checkins.receive') });
  const stop = link.linked
    ? h('button', { type: 'button', class: 'secondary', text: t('checkins.stop') }) : null;
  const form = h('form', { 'aria-labelledby': 'checkin-link-title' },
    h('div', { class: 'field' }, h('label', { for: staff.id, text: t('checkins.staffId') }), staff,
      h('p', { class: 'hint', id: 'staff-identifier-hint', text: t('checkins.staffIdHint') })),
    h('div', { class: 'field' }, h('label', { for: team.id, text: t('checkins.teamLabel') }),
      team, h('p', { class: 'hint', id: 'staff-team-hint', text: t('checkins.teamHint') })),
    error, h('div', { class: 'actions' }, save, stop));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(save, error, async () => {
      const body = { staff_identifier: staff.value };
      if (team.value.trim()) body.team = team.value;
      await app.api.linkCheckins(body);
      staff.value = '';
      team.value = '';
      await refresh();
    }, { 422: t('checkins.linkInvalid') });
  });
  stop?.addEventListener('click', () => busy(stop, error, async () => {
    await app.api.unlinkCheckins();
    await refresh();
  }));
  return form;
}

/**
 * The check-ins card for the home screen: `{element, refresh}`; `refresh` is called again when
 * the relay says `checkin`.
 */
export async function checkinSection(app) {
  const offers = h('ul', { class: 'offers', 'aria-live': 'polite' });
  const status = h('p', { class: 'hint' });
  const form = h('div');
  const error = errorBox();
  const refresh = async () => {
    try {
      const [waiting, link] = await Promise.all([app.api.checkins(), app.api.checkinLink()]);
      offers.replaceChildren(...waiting.map((c) => offerCard(app, c, refresh)));
      status.textContent = !link.linked ? t('checkins.off')
        : link.team_linked ? t('checkins.onWithTeam') : t('checkins.on');
      form.replaceChildren(linkForm(app, link, refresh));
      showError(error, null);
    } catch (e) {
      showError(error, `${t('checkins.loadFailed')} ${friendlyError(e)}`);
    }
  };
  await refresh();
  return {
    refresh,
    element: h('section', { class: 'card', 'aria-labelledby': 'checkins-title' },
      h('h2', { id: 'checkins-title', text: t('checkins.title') }), offers, status, error,
      h('details', {},
        h('summary', { id: 'checkin-link-title', text: t('checkins.settings') }), form)),
  };
}
