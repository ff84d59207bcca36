/**
 * Where a support request stands, told honestly: searching, offered to one supporter (and
 * until when), matched (then straight to the room), nobody available (with crisis lines), or
 * cancelled. Re-read on the server's `request` notification and every few seconds.
 *
 * @module app/screens/waiting
 */

import { busy, errorBox, h, shortTime } from '../dom.js';
import { crisisList } from '../crisis.js';
import { joinRoom } from '../room.js';
import { topicLabel } from '../vocabulary.js';

function describe(request) {
  switch (request.status) {
    case 'searching':
      return ['Looking for a supporter',
        'We are looking for a trained peer supporter at another institution. Nobody has been '
        + 'asked yet; this can take a while when few supporters are available.'];
    case 'offered':
      return ['A supporter has been asked',
        `One supporter has your request and can answer until ${shortTime(request.offer_expires_at)}. `
        + 'If they cannot, the next best match is asked. You can keep this page open or come back '
        + 'later.'];
    case 'unavailable':
      return ['No supporter is available right now',
        'Nobody who fits your request can take it at the moment. You can try again later or '
        + 'with other choices. If you need help now, these lines are there for you:'];
    case 'cancelled':
      return ['Request cancelled', 'You cancelled this request.'];
    default:
      return ['Matched', 'A supporter accepted. Opening the conversation…'];
  }
}

export async function render(app, { requestId }) {
  const heading = h('h1', {});
  const text = h('p', { class: 'lead' });
  const extra = h('div', {});
  const status = h('div', { role: 'status', 'aria-live': 'polite' }, text);
  const error = errorBox();
  const cancel = h('button', { type: 'button', class: 'secondary', text: 'Cancel my request' });
  const again = h('a', { href: '#/home', class: 'button', text: 'Back to start', hidden: true });
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
      extra.replaceChildren(
        h('p', { class: 'hint', text: `Topics: ${request.topics.map(topicLabel).join(', ')} · `
          + `${request.urgency}` }),
        ...(request.status === 'unavailable' ? [crisisList()] : []));
      lastStatus = request.status;
    }
    const open = ['searching', 'offered'].includes(request.status);
    cancel.hidden = !open;
    again.hidden = open;
  };
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
    title: 'Your request',
    cleanup: () => {
      stopped = true;
      clearInterval(poll);
      app.relay.removeEventListener('notify', onNotify);
    },
    element: h('section', { class: 'screen' }, heading, status, extra, error,
      h('div', { class: 'actions' }, cancel, again)),
  };
}
