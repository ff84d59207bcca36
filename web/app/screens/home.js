/**
 * Home: ask for support (topics, urgency, same specialty only), the supporter's inbox (offers
 * with why they were chosen, accept / decline, the availability switch) and the rooms.
 *
 * @module app/screens/home
 */

import { busy, errorBox, friendlyError, h, shortTime, showError } from '../dom.js';
import { t } from '../i18n.js';
import { notificationsCard } from '../notices.js';
import { joinRoom } from '../room.js';
import { checkinSection } from './checkin.js';
import { languagePicker } from '../languages.js';
import { topicLabel, topics, urgencies, urgencyLabel } from '../vocabulary.js';

function askForm(app, { folded = false } = {}) {
  const boxes = topics().map(([code, label]) => {
    const box = h('input', { type: 'checkbox', name: 'topic', value: code, id: `topic-${code}` });
    return h('div', { class: 'check' }, box, h('label', { for: box.id, text: label }));
  });
  // One compact picker: the primary action stays within a phone's first screen.
  const urgency = h('select', { id: 'urgency', name: 'urgency' },
    ...urgencies().map(([code, label, hint]) => h('option', { value: code,
      text: `${label} — ${hint}` })));
  const same = h('input', { type: 'checkbox', name: 'same-specialty', id: 'same-specialty' });
  const error = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', text: t('home.ask') });
  const hint = h('p', { class: 'hint', text: t('home.askHint') });
  const form = h('form', { 'aria-labelledby': 'ask-title' },
    h('fieldset', { class: 'checks grid' }, h('legend', { text: t('home.topics') }),
      h('p', { class: 'hint', text: t('home.topicsHint') }), ...boxes),
    h('div', { class: 'field' }, h('label', { for: 'urgency', text: t('home.howSoon') }), urgency),
    h('div', { class: 'check' }, same,
      h('label', { for: same.id, text: t('home.sameSpecialty') })),
    error, submit, hint);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      const chosen = boxes.map((d) => d.querySelector('input')).filter((b) => b.checked)
        .map((b) => b.value);
      if (chosen.length === 0) throw new Error(t('home.needTopic'));
      if (chosen.length > 5) throw new Error(t('home.tooManyTopics'));
      const request = await app.api.askForSupport(
        { topics: chosen, urgency: urgency.value, same_specialty_only: same.checked });
      await app.vault.put({ request: { id: request.id } });
      app.go(`#/request/${request.id}`);
    });
  });
  // A supporter's home is their inbox: their own request form folds away below it.
  if (folded) {
    return h('details', { class: 'card ask-folded' },
      h('summary', { id: 'ask-title', text: t('home.askYourself') }), form);
  }
  return h('section', { class: 'card', 'aria-labelledby': 'ask-title' },
    h('h2', { id: 'ask-title', text: t('home.askTitle') }), form);
}

function offerCard(app, offer, refresh) {
  const error = errorBox();
  const accept = h('button', { type: 'button', class: 'primary', text: t('home.accept') });
  const decline = h('button', { type: 'button', class: 'secondary', text: t('home.decline') });
  accept.addEventListener('click', () => busy(accept, error, async () => {
    const room = await app.api.acceptOffer(offer.id);
    app.relay.adopt(await joinRoom(app.api, app.vault, app.device, room.id));
    app.go(`#/room/${room.id}`);
  }));
  decline.addEventListener('click', () => busy(decline, error, async () => {
    await app.api.declineOffer(offer.id);
    await refresh();
  }));
  const titleId = `offer-${offer.id}`;
  const reasons = offer.reasons.filter((r) => r !== offer.summary);
  return h('li', { class: 'offer', 'aria-labelledby': titleId },
    h('h3', { id: titleId, text: offer.topics.map(topicLabel).join(', ') }),
    h('p', {}, `${offer.requester_specialty} · ${offer.requester_experience_band} · `,
      h('span', { class: `urgency ${offer.urgency}`,
        text: t('home.offerUrgency', { urgency: urgencyLabel(offer.urgency) }) })),
    // The summary repeats the reasons' first line: show it once, the rest on request.
    offer.summary ? h('p', { class: 'summary', text: offer.summary }) : null,
    reasons.length ? h('details', {}, h('summary', { text: t('home.whyYou') }),
      h('ul', {}, ...reasons.map((r) => h('li', { text: r })))) : null,
    h('p', { class: 'hint', text: t('home.answerBy', { time: shortTime(offer.expires_at) }) }),
    error,
    h('div', { class: 'actions' }, accept, decline));
}

async function inbox(app) {
  const list = h('ul', { class: 'offers', 'aria-live': 'polite' });
  const error = errorBox();
  const settings = await app.api.supporterProfile().catch(() => null);
  const toggle = h('button', { type: 'button', role: 'switch', class: 'switch',
    'aria-checked': String(Boolean(settings?.available)), id: 'availability' },
  h('span', { class: 'knob', 'aria-hidden': 'true' }));
  const toggleText = h('span', { id: 'availability-text' });
  const showAvailable = (on) => {
    toggle.setAttribute('aria-checked', String(on));
    toggleText.textContent = on ? t('home.available') : t('home.away');
  };
  showAvailable(Boolean(settings?.available));
  toggle.addEventListener('click', () => busy(toggle, error, async () => {
    const on = toggle.getAttribute('aria-checked') !== 'true';
    const saved = await app.api.setAvailability(on);
    showAvailable(saved.available);
  }));

  const refresh = async () => {
    try {
      const offers = await app.api.offers();
      list.replaceChildren(...(offers.length ? offers.map((o) => offerCard(app, o, refresh))
        : [h('li', { class: 'empty', text: t('home.noOffers') })]));
      showError(error, null);
    } catch (e) {
      showError(error, e?.status ? t('home.offersFailed') : friendlyError(e));
    }
  };
  await refresh();
  return {
    refresh,
    element: h('section', { class: 'card', 'aria-labelledby': 'inbox-title' },
      h('h2', { id: 'inbox-title', text: t('home.inbox') }),
      h('div', { class: 'switch-row' },
        h('label', { for: 'availability', text: t('home.availability') }), toggle, toggleText),
      error, list),
  };
}

async function roomsList(app) {
  const rooms = await app.api.rooms();
  const open = rooms.filter((r) => r.status === 'open');
  if (open.length === 0) return null;
  const items = await Promise.all(open.map(async (r) => {
    const state = await app.relay.room(r.id).catch(() => null);
    const unread = state && app.unread ? await app.unread.update(state) : 0;
    const label = `${r.peer.handle} · ${r.topics.map(topicLabel).join(', ')}`;
    return h('li', {}, h('a', { href: `#/room/${r.id}` }, label,
      unread > 0 ? h('span', { class: 'unread-count', 'data-testid': 'unread',
        'aria-label': t('home.unread', { count: unread }), text: String(unread) }) : null));
  }));
  return h('section', { class: 'card', 'aria-labelledby': 'rooms-title' },
    h('h2', { id: 'rooms-title', text: t('home.rooms') }),
    h('ul', { class: 'rooms' }, ...items));
}

async function activeRequest(app) {
  const saved = await app.vault.get('request');
  if (!saved) return null;
  try {
    const request = await app.api.supportRequest(saved.id);
    if (!['searching', 'offered', 'waiting'].includes(request.status)) return null;
    return h('p', { class: 'notice' }, t('home.pending'),
      h('a', { href: `#/request/${request.id}`, text: t('home.pendingLink') }));
  } catch {
    return null;
  }
}

export async function render(app) {
  const supporterInbox = app.me.role === 'supporter' ? await inbox(app) : null;
  const [rooms, pending, notices, checkins] = await Promise.all(
    [roomsList(app), activeRequest(app), notificationsCard(app), checkinSection(app)]);
  const roomsBox = h('div', {}, rooms);
  let redrawing = null;
  const onUnread = () => {
    redrawing ??= roomsList(app).then((fresh) => roomsBox.replaceChildren(fresh ?? ''))
      .catch(() => {}).finally(() => { redrawing = null; });
  };
  app.unread?.addEventListener('change', onUnread);
  const onNotify = (event) => {
    if (event.detail.event === 'checkin') checkins.refresh();
    if (event.detail.event === 'offer') supporterInbox?.refresh();
    if (event.detail.event === 'room') app.route();
  };
  app.relay.addEventListener('notify', onNotify);
  const poll = supporterInbox ? setInterval(() => supporterInbox.refresh(), 15_000) : null;
  return {
    title: t('home.title'),
    cleanup: () => {
      app.relay.removeEventListener('notify', onNotify);
      app.unread?.removeEventListener('change', onUnread);
      clearInterval(poll);
    },
    element: h('section', { class: 'screen' },
      h('h1', { text: t('home.heading') }),
      pending,
      checkins.element,
      supporterInbox?.element,
      roomsBox,
      askForm(app, { folded: Boolean(supporterInbox) }),
      notices,
      h('div', { class: 'home-foot' },
        h('a', { href: '#/profile', class: 'button', text: t('home.editProfile') }),
        languagePicker(app))),
  };
}
