/**
 * Where a support request stands, told honestly: searching, offered to one supporter (and
 * until when), matched (then straight to the room), nobody available (with the crisis lines
 * and "Keep looking for me"), waiting for a supporter to be free, or cancelled. Re-read on the
 * server's `request` notification and every few seconds.
 *
 * @module app/screens/waiting
 */

import { busy, errorBox, h, shortTime } from '../dom.js';
import { crisisList } from '../crisis.js';
import { t } from '../i18n.js';
import { joinRoom } from '../room.js';
import { topicLabel, urgencyLabel } from '../vocabulary.js';

function describe(request) {
  switch (request.status) {
    case 'searching':
      return [t('waiting.searching.title'), t('waiting.searching.body')];
    case 'offered':
      return [t('waiting.offered.title'),
        t('waiting.offered.body', { time: shortTime(request.offer_expires_at) })];
    case 'unavailable':
      return [t('waiting.unavailable.title'), t('waiting.unavailable.body')];
    case 'waiting':
      return [t('waiting.waiting.title'), t('waiting.waiting.body')];
    case 'cancelled':
      return [t('waiting.cancelled.title'), t('waiting.cancelled.body')];
    default:
      return [t('waiting.matched.title'), t('waiting.matched.body')];
  }
}

export async function render(app, { requestId }) {
  const heading = h('h1', {});
  const text = h('p', { class: 'lead' });
  const crisis = h('div', {});
  const details = h('p', { class: 'hint' });
  const status = h('div', { role: 'status', 'aria-live': 'polite' }, text);
  const error = errorBox();
  const keepLooking = h('button', { type: 'button', class: 'primary',
    text: t('waiting.keepLooking'), hidden: true });
  const cancel = h('button', { type: 'button', class: 'secondary', text: t('waiting.cancel') });
  const again = h('a', { href: '#/home', class: 'button', text: t('waiting.backToStart'),
    hidden: true });
  let stopped = false;
  let lastStatus = null;

  const refresh = async () => {
    const request = await app.api.supportRequest(requestId);
    if (stopped) return;
    if (request.status === 'matched' && request.room_id) {
      stopped = true;
      app.relay.adopt(await joinRoom(app.api, app.vault, app.device, request.room_id));
      app.go(`#/room/${request.room_id}`);
      return;
    }
    const [title, body] = describe(request);
    heading.textContent = title;
    text.textContent = body;
    if (request.status !== lastStatus) {
      details.textContent = t('waiting.details', {
        topics: request.topics.map(topicLabel).join(', '), urgency: urgencyLabel(request.urgency),
      });
      const showCrisis = ['unavailable', 'waiting'].includes(request.status);
      crisis.replaceChildren(...(showCrisis ? [h('p', { text: t('crisis.now') }), crisisList()]
        : []));
      lastStatus = request.status;
    }
    const open = ['searching', 'offered', 'waiting'].includes(request.status);
    keepLooking.hidden = request.status !== 'unavailable';
    cancel.hidden = !open;
    again.hidden = open;
  };
  keepLooking.addEventListener('click', () => busy(keepLooking, error, async () => {
    await app.api.keepLooking(requestId);
    await refresh();
  }));
  cancel.addEventListener('click', () => busy(cancel, error, async () => {
    await app.api.cancelSupportRequest(requestId);
    await refresh();
  }));
  await refresh();
  const onNotify = (event) => {
    if (event.detail.event === 'request' || event.detail.event === 'room') refresh().catch(() => {});
  };
  app.relay.addEventListener('notify', onNotify);
  const poll = setInterval(() => refresh().catch(() => {}), 5000);
  return {
    title: t('waiting.title'),
    cleanup: () => {
      stopped = true;
      clearInterval(poll);
      app.relay.removeEventListener('notify', onNotify);
    },
    // The next step and the crisis lines come first; the details of the request after.
    element: h('section', { class: 'screen' }, heading, status, error,
      h('div', { class: 'actions' }, keepLooking, cancel, again), crisis, details),
  };
}
