/**
 * Home: ask for support (topics, urgency, same specialty only), the supporter's inbox (offers
 * with why they were chosen, accept / decline, the availability switch) and the rooms.
 *
 * @module app/screens/home
 */

import { busy, errorBox, h, shortTime, showError } from '../dom.js';
import { joinRoom } from '../room.js';
import { TOPICS, URGENCIES, topicLabel } from '../vocabulary.js';

function askForm(app) {
  const boxes = TOPICS.map(([code, label]) => {
    const box = h('input', { type: 'checkbox', name: 'topic', value: code, id: `topic-${code}` });
    return h('div', { class: 'check' }, box, h('label', { for: box.id, text: label }));
  });
  const radios = URGENCIES.map(([code, label, hint], i) => {
    const radio = h('input', { type: 'radio', name: 'urgency', value: code, id: `urgency-${code}`,
      checked: i === 0 });
    return h('div', { class: 'check' }, radio,
      h('label', { for: radio.id }, h('strong', { text: label }), ` · ${hint}`));
  });
  const same = h('input', { type: 'checkbox', name: 'same-specialty', id: 'same-specialty' });
  const error = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Ask for support' });
  const form = h('form', { 'aria-labelledby': 'ask-title' },
    h('fieldset', { class: 'checks' }, h('legend', { text: 'What would you like to talk about?' }),
      h('p', { class: 'hint', text: 'Choose up to 5.' }), ...boxes),
    h('fieldset', { class: 'checks' }, h('legend', { text: 'How soon?' }), ...radios),
    h('div', { class: 'check' }, same,
      h('label', { for: same.id, text: 'Only someone from my own specialty' })),
    error, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      const topics = boxes.map((d) => d.querySelector('input')).filter((b) => b.checked)
        .map((b) => b.value);
      if (topics.length === 0) throw new Error('Choose at least one topic.');
      if (topics.length > 5) throw new Error('Choose at most 5 topics.');
      const urgency = form.querySelector('input[name=urgency]:checked').value;
      const request = await app.api.askForSupport(
        { topics, urgency, same_specialty_only: same.checked });
      await app.vault.put({ request: { id: request.id } });
      app.go(`#/request/${request.id}`);
    });
  });
  return h('section', { class: 'card', 'aria-labelledby': 'ask-title' },
    h('h2', { id: 'ask-title', text: 'Ask for support' }),
    h('p', { class: 'hint', text: 'A trained peer supporter from another institution will be '
      + 'asked. Nothing you write is readable by the server.' }),
    form);
}

function offerCard(app, offer, refresh) {
  const error = errorBox();
  const accept = h('button', { type: 'button', class: 'primary', text: 'Accept' });
  const decline = h('button', { type: 'button', class: 'secondary', text: 'Decline' });
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
  return h('li', { class: 'offer', 'aria-labelledby': titleId },
    h('h3', { id: titleId, text: offer.topics.map(topicLabel).join(', ') }),
    h('p', {}, `${offer.requester_specialty} · ${offer.requester_experience_band} · `,
      h('span', { class: `urgency ${offer.urgency}`, text: offer.urgency })),
    offer.summary ? h('p', { class: 'summary', text: offer.summary }) : null,
    offer.reasons.length ? h('details', {}, h('summary', { text: 'Why you were asked' }),
      h('ul', {}, ...offer.reasons.map((r) => h('li', { text: r })))) : null,
    h('p', { class: 'hint', text: `Answer by ${shortTime(offer.expires_at)}; after that the `
      + 'next supporter is asked.' }),
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
    toggleText.textContent = on ? 'Available for new conversations' : 'Away: no new offers';
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
        : [h('li', { class: 'empty', text: 'No offers right now.' })]));
      showError(error, null);
    } catch (e) {
      showError(error, e.detail || 'Offers could not be loaded.');
    }
  };
  await refresh();
  return {
    refresh,
    element: h('section', { class: 'card', 'aria-labelledby': 'inbox-title' },
      h('h2', { id: 'inbox-title', text: 'Supporter inbox' }),
      h('div', { class: 'switch-row' },
        h('label', { for: 'availability', text: 'Availability' }), toggle, toggleText),
      error, list),
  };
}

async function roomsList(app) {
  const rooms = await app.api.rooms();
  const open = rooms.filter((r) => r.status === 'open');
  if (open.length === 0) return null;
  return h('section', { class: 'card', 'aria-labelledby': 'rooms-title' },
    h('h2', { id: 'rooms-title', text: 'Your conversations' }),
    h('ul', { class: 'rooms' }, ...open.map((r) => h('li', {},
      h('a', { href: `#/room/${r.id}`, text: `${r.peer.handle} · ${r.topics.map(topicLabel)
        .join(', ')}` })))));
}

async function activeRequest(app) {
  const saved = await app.vault.get('request');
  if (!saved) return null;
  try {
    const request = await app.api.supportRequest(saved.id);
    if (!['searching', 'offered'].includes(request.status)) return null;
    return h('p', { class: 'notice' }, 'You have asked for support: ',
      h('a', { href: `#/request/${request.id}`, text: 'see where it stands' }));
  } catch {
    return null;
  }
}

export async function render(app) {
  const supporterInbox = app.me.role === 'supporter' ? await inbox(app) : null;
  const [rooms, pending] = await Promise.all([roomsList(app), activeRequest(app)]);
  const onNotify = (event) => {
    if (event.detail.event === 'offer') supporterInbox?.refresh();
    if (event.detail.event === 'room') app.route();
  };
  app.relay.addEventListener('notify', onNotify);
  const poll = supporterInbox ? setInterval(() => supporterInbox.refresh(), 15_000) : null;
  return {
    title: 'Home',
    cleanup: () => {
      app.relay.removeEventListener('notify', onNotify);
      clearInterval(poll);
    },
    element: h('section', { class: 'screen' },
      h('h1', { text: 'Peerhaven' }),
      pending,
      supporterInbox?.element,
      rooms,
      askForm(app),
      h('p', {}, h('a', { href: '#/profile', text: 'Edit your profile' }))),
  };
}
