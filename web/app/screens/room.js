/**
 * The chat: the peer's pseudonym, specialty and experience band; the conversation with each
 * message's state (sending, sent = stored by the server for the peer, delivered = the peer's
 * device has it); the safety number, with "mark as verified"; leave, end for both, block.
 *
 * When the peer's security key changed (a bundle or handshake with another key than the pinned
 * one was refused), a calm notice asks to verify the safety number again; nothing can be sent
 * until the user continues with the new key (docs/protocol.md §7.2).
 *
 * @module app/screens/room
 */

import { busy, errorBox, friendlyError, h, shortTime, showError } from '../dom.js';
import { confirmAction, modal } from '../dialogs.js';
import { reportDialog } from '../report.js';
import { joinRoom } from '../room.js';
import { topicLabel } from '../vocabulary.js';

const STATE_TEXT = {
  sending: 'Sending…', sent: 'Sent', delivered: 'Delivered', failed: 'Not sent',
};

function messageItem(message, handle) {
  const mine = message.dir === 'out';
  return h('li', { class: `message ${mine ? 'mine' : 'theirs'}`, 'data-id': message.id },
    h('span', { class: 'who', text: mine ? 'You' : handle }),
    h('p', { class: 'text', text: message.text }),
    h('span', { class: 'meta' }, shortTime(message.ts),
      mine ? h('span', { class: `state ${message.state}`, 'data-state': message.state,
        text: ` · ${STATE_TEXT[message.state] ?? ''}` }) : null));
}

export async function render(app, { roomId }) {
  let room;
  try {
    room = await joinRoom(app.api, app.vault, app.device, roomId);
    await app.relay.adopt(room);
    room = await app.relay.room(roomId);
  } catch (error) {
    return {
      title: 'Conversation',
      element: h('section', { class: 'screen' }, h('h1', { text: 'Conversation unavailable' }),
        h('p', { text: friendlyError(error) }), h('a', { href: '#/home', text: 'Back' })),
    };
  }

  const heading = h('h1', {});
  const about = h('p', { class: 'hint' });
  const banner = h('p', { class: 'notice', role: 'status', hidden: true });
  const verifiedNote = h('p', { class: 'hint verified', 'data-testid': 'verified', hidden: true,
    text: 'Safety number verified' });
  const keyTitle = h('h2', { id: 'key-change-title' });
  const keyText = h('p', {});
  const keyPanel = h('section', { class: 'notice key-change', role: 'alert', hidden: true,
    'aria-labelledby': 'key-change-title' }, keyTitle, keyText,
  h('p', { text: 'Nothing is sent in this conversation until you decide.' }),
  h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'secondary', text: 'Show safety number',
      onclick: () => safety() }),
    h('button', { type: 'button', class: 'primary', text: 'Continue with the new key',
      onclick: () => acceptKey() })));
  const log = h('ol', { class: 'log', role: 'log', 'aria-live': 'polite',
    'aria-label': 'Messages' });
  const text = h('textarea', { id: 'message', name: 'message', rows: 2, maxlength: 8000,
    autocomplete: 'off' });
  const send = h('button', { type: 'submit', class: 'primary', text: 'Send' });
  const error = errorBox();
  const composer = h('form', { class: 'composer' },
    h('label', { for: 'message', class: 'visually-hidden', text: 'Message' }), text, send);
  let shown = 0;

  const draw = () => {
    const peer = room.view.peer;
    heading.textContent = `Talking with ${peer.handle}`;
    about.textContent = `${peer.specialty} · ${peer.experience_band} · `
      + `${room.view.topics.map(topicLabel).join(', ')}`;
    let notice = '';
    if (room.view.status === 'closed') notice = 'This conversation has ended.';
    else if (peer.left) notice = `${peer.handle} has left the conversation.`;
    else if (!peer.identity_key) notice = `Waiting for ${peer.handle} to join…`;
    banner.textContent = notice;
    banner.hidden = !notice;
    keyPanel.hidden = !room.keyChanged;
    keyTitle.textContent = `The security key of ${peer.handle} has changed`;
    keyText.textContent = 'This happens when someone sets up Peerhaven again, but it can also '
      + 'mean that someone is trying to come between you. Verify the safety number again with '
      + `${peer.handle} by another channel, such as a call. If it matches, continue.`;
    verifiedNote.hidden = !room.verified || room.keyChanged;
    const canSend = room.open && Boolean(peer.identity_key) && !room.keyChanged;
    text.disabled = !canSend;
    send.disabled = !canSend;
    // Append new messages (keeps screen-reader announcements to what is new); redraw states.
    const items = room.messages;
    for (const message of items.slice(shown)) log.append(messageItem(message, peer.handle));
    shown = items.length;
    for (const message of items) {
      if (message.dir !== 'out') continue;
      const el = log.querySelector(`li[data-id="${CSS.escape(message.id)}"] .state`);
      if (el && el.dataset.state !== message.state) {
        el.dataset.state = message.state;
        el.className = `state ${message.state}`;
        el.textContent = ` · ${STATE_TEXT[message.state] ?? ''}`;
      }
    }
  };

  const submit = () => busy(send, error, async () => {
    const body = text.value.trim();
    if (!body) return;
    await app.relay.send(roomId, body);
    text.value = '';
    text.focus();
  });
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });

  const act = (action, title, explain, label) => async () => {
    if (!(await confirmAction(title, explain, label))) return;
    try {
      room.view = await action(roomId);
      await app.relay.refreshRoom(roomId);
    } catch (e) {
      showError(error, friendlyError(e));
    }
  };
  const safety = async () => {
    const number = room.safetyNumber();
    let body;
    if (!number) {
      body = [h('p', { text: room.view.peer.identity_key
        ? 'The safety number appears once one of you has sent the first message.'
        : `${room.handle} has not joined yet.` })];
    } else {
      body = [
        h('p', { text: `Compare this number with ${room.handle}, for example by reading it `
          + 'out on a call. If it matches, nobody is in the middle of your conversation.' }),
        h('p', { class: 'safety-number', 'data-testid': 'safety-number', text: number }),
        h('p', { class: 'hint', 'data-testid': 'verification', text: room.verified && !room.keyChanged
          ? 'You have verified this number.' : 'Not verified yet.' }),
      ];
      if (room.keyChanged) {
        body.push(h('p', { text: `This is the number of the key ${room.handle} had before. `
          + 'Continue with the new key to see the new number.' }));
      }
    }
    const canVerify = Boolean(number) && !room.verified && !room.keyChanged;
    const answer = await modal({
      title: 'Safety number',
      body,
      buttons: [
        ...(canVerify ? [{ label: 'Mark as verified', value: 'verify' }] : []),
        { label: 'Close', value: 'close', kind: 'primary' },
      ],
    });
    if (answer === 'verify') {
      try {
        await app.relay.markVerified(roomId);
      } catch (e) {
        showError(error, friendlyError(e));
      }
    }
  };
  const acceptKey = async () => {
    try {
      await app.relay.acceptKeyChange(roomId);
      text.focus();
    } catch (e) {
      showError(error, friendlyError(e));
    }
  };
  const report = app.me.role === 'moderator' ? null
    : h('button', { type: 'button', class: 'danger', text: 'Get help / report',
      onclick: () => reportDialog(app, room) });
  const menu = h('div', { class: 'room-actions' }, report,
    h('button', { type: 'button', class: 'secondary', text: 'Safety number', onclick: safety }),
    h('button', { type: 'button', class: 'secondary', text: 'Leave',
      onclick: act((id) => app.api.leaveRoom(id), 'Leave this conversation?', 'You will not see new messages. '
        + 'The conversation ends for both of you.', 'Leave') }),
    h('button', { type: 'button', class: 'secondary', text: 'End for both',
      onclick: act((id) => app.api.closeRoom(id), 'End this conversation?', 'Neither of you can write in it again.',
        'End conversation') }),
    h('button', { type: 'button', class: 'danger', text: 'Block',
      onclick: act((id) => app.api.blockPeer(id), `Block ${room.handle}?`, 'Ends the conversation; you will never be '
        + 'matched with this person again.', 'Block') }));

  const onRoom = (event) => { if (event.detail === roomId) draw(); };
  const onNotify = (event) => {
    if (event.detail.event === 'room') app.relay.refreshRoom(roomId).catch(() => {});
  };
  const onProblem = (event) => showError(error, event.detail);
  app.relay.addEventListener('room', onRoom);
  app.relay.addEventListener('notify', onNotify);
  app.relay.addEventListener('problem', onProblem);
  // The server does not announce that the peer registered their room key: look until they have.
  const poll = setInterval(() => {
    if (!room.view.peer.identity_key && room.view.status === 'open') {
      app.relay.refreshRoom(roomId).catch(() => {});
    }
  }, 2000);
  draw();
  return {
    title: `Conversation with ${room.handle}`,
    cleanup: () => {
      clearInterval(poll);
      app.relay.removeEventListener('room', onRoom);
      app.relay.removeEventListener('notify', onNotify);
      app.relay.removeEventListener('problem', onProblem);
    },
    element: h('section', { class: 'screen room' },
      h('p', { class: 'back' }, h('a', { href: '#/home', text: '‹ All conversations' })),
      heading, about, verifiedNote, menu, banner, keyPanel, log, error, composer),
  };
}
