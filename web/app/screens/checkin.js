/**
 * Check-ins on the clinician's home screen: the private offer after an event the institution
 * reported ("Talk to a peer" / "Not now" / "No thanks"), and the opt-in link of the staff
 * identifier (the server keeps only a keyed hash of it; the institution never learns who
 * linked). Routes: server/api/routes/checkins.py.
 *
 * @module app/screens/checkin
 */

import { busy, errorBox, h, showError } from '../dom.js';

function offerCard(app, checkin, refresh) {
  const error = errorBox();
  const talk = h('button', { type: 'button', class: 'primary', text: 'Talk to a peer' });
  const later = h('button', { type: 'button', class: 'secondary', text: 'Not now' });
  const no = h('button', { type: 'button', class: 'secondary', text: 'No thanks' });
  talk.addEventListener('click', () => busy(talk, error, async () => {
    const answered = await app.api.post(`/api/v1/checkins/${checkin.id}/accept`);
    await app.vault.put({ request: { id: answered.request.id } });
    app.go(`#/request/${answered.request.id}`);
  }));
  later.addEventListener('click', () => busy(later, error, async () => {
    await app.api.post(`/api/v1/checkins/${checkin.id}/snooze`);
    await refresh();
  }));
  no.addEventListener('click', () => busy(no, error, async () => {
    await app.api.post(`/api/v1/checkins/${checkin.id}/decline`);
    await refresh();
  }));
  const titleId = `checkin-${checkin.id}`;
  return h('li', { class: 'offer checkin', 'aria-labelledby': titleId },
    h('h3', { id: titleId, text: 'A check-in, just for you' }),
    h('p', { text: checkin.message }),
    h('p', { class: 'hint', text: checkin.reminded
      ? 'This is the one reminder. Choosing "Not now" again closes it.'
      : 'Only you can see this. Your institution is never told whether you answer.' }),
    error,
    h('div', { class: 'actions' }, talk, later, no));
}

function linkForm(app, link, refresh) {
  const error = errorBox();
  const staff = h('input', { id: 'staff-identifier', autocomplete: 'off', maxlength: 64,
    required: true, spellcheck: 'false' });
  const team = h('input', { id: 'staff-team', autocomplete: 'off', maxlength: 64 });
  const save = h('button', { type: 'submit', class: 'primary',
    text: link.linked ? 'Update' : 'Receive check-ins' });
  const stop = link.linked
    ? h('button', { type: 'button', class: 'secondary', text: 'Stop check-ins' }) : null;
  const form = h('form', { 'aria-labelledby': 'checkin-link-title' },
    h('div', { class: 'field' }, h('label', { for: staff.id, text: 'Staff identifier' }), staff,
      h('p', { class: 'hint', text: 'As your incident reporting system knows you (for example '
        + 'your employee number). Peerhaven keeps only a keyed hash of it.' })),
    h('div', { class: 'field' }, h('label', { for: team.id, text: 'Team (optional)' }), team,
      h('p', { class: 'hint', text: 'For check-ins when your whole team has a hard stretch.' })),
    error, h('div', { class: 'actions' }, save, stop));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(save, error, async () => {
      const body = { staff_identifier: staff.value };
      if (team.value.trim()) body.team = team.value;
      await app.api.put('/api/v1/checkins/link', body);
      staff.value = '';
      team.value = '';
      await refresh();
    });
  });
  stop?.addEventListener('click', () => busy(stop, error, async () => {
    await app.api.call('DELETE', '/api/v1/checkins/link');
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
      const [waiting, link] = await Promise.all([
        app.api.get('/api/v1/checkins'), app.api.get('/api/v1/checkins/link')]);
      offers.replaceChildren(...waiting.map((c) => offerCard(app, c, refresh)));
      status.textContent = link.linked
        ? `You receive check-ins after events your institution reports${
          link.team_linked ? ', and when your team has a hard stretch' : ''}.`
        : 'Check-ins are off. Link your staff identifier to receive one after an event your '
          + 'institution reports.';
      form.replaceChildren(linkForm(app, link, refresh));
      showError(error, null);
    } catch (e) {
      showError(error, e.detail || 'Check-ins could not be loaded.');
    }
  };
  await refresh();
  return {
    refresh,
    element: h('section', { class: 'card', 'aria-labelledby': 'checkins-title' },
      h('h2', { id: 'checkins-title', text: 'Check-ins' }), offers, status, error,
      h('details', {}, h('summary', { text: 'Check-in settings' }), form)),
  };
}
