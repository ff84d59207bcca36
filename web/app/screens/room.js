/**
 * The chat: a fixed layout (the room's header and the composer stay, the message list between
 * them scrolls and follows the newest message; `chat/log.js`), the peer's pseudonym, specialty
 * and experience band, each message's state (sending, sent = stored by the server for the
 * peer, delivered = the peer's device has it; while offline, pending ones say they wait), the
 * safety number (with "mark as verified"), "Get help / report" (`report.js`), and one "End
 * conversation" and "Block" behind the options menu. Once the room ends, a closing card with next
 * steps takes the composer's place (`chat/closing.js`).
 *
 * When the peer's security key changed (a bundle or handshake with another key than the pinned
 * one was refused), a calm notice asks to verify the safety number again; nothing can be sent
 * until the user continues with the new key (docs/protocol.md §7.2).
 *
 * @module app/screens/room
 */

import { friendlyError, h, showError } from '../dom.js';
import { confirmAction, modal } from '../dialogs.js';
import { closingCard } from '../chat/closing.js';
import { composer } from '../chat/composer.js';
import { MessageLog } from '../chat/log.js';
import { watchConnectivity } from '../connectivity.js';
import { t } from '../i18n.js';
import { showLocalNotice } from '../push.js';
import { reportDialog } from '../report.js';
import { joinRoom } from '../room.js';
import { topicLabel } from '../vocabulary.js';

/** The options menu: a disclosure button and its list of actions. */
function optionsMenu(items) {
  const list = h('div', { class: 'menu-list', id: 'room-options', hidden: true });
  const toggle = h('button', { type: 'button', class: 'secondary menu-button',
    'aria-expanded': 'false', 'aria-controls': 'room-options', text: t('room.options') });
  const close = () => {
    list.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
  };
  toggle.addEventListener('click', () => {
    const open = list.hidden;
    list.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) list.querySelector('button')?.focus();
  });
  list.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      close();
      toggle.focus();
    }
  });
  for (const [label, kind, onclick] of items) {
    list.append(h('button', { type: 'button', class: kind, text: label,
      onclick: () => { close(); onclick(); } }));
  }
  return { element: h('div', { class: 'menu' }, toggle, list), close };
}

export async function render(app, { roomId }) {
  let room;
  try {
    room = await joinRoom(app.api, app.vault, app.device, roomId);
    await app.relay.adopt(room);
    room = await app.relay.room(roomId);
  } catch (error) {
    return {
      title: t('room.unavailableTitle'),
      element: h('section', { class: 'screen' }, h('h1', { text: t('room.unavailableTitle') }),
        h('p', { text: friendlyError(error) }),
        h('a', { href: '#/home', class: 'button', text: t('common.back') })),
    };
  }

  const heading = h('h1', {});
  const about = h('p', { class: 'hint about' });
  const banner = h('p', { class: 'notice', role: 'status', hidden: true });
  const offlineBanner = h('p', { class: 'offline', role: 'status', hidden: true,
    text: t('offline.banner') });
  const verifiedNote = h('p', { class: 'hint verified', 'data-testid': 'verified', hidden: true,
    text: t('room.verifiedNote') });
  const keyTitle = h('h2', { id: 'key-change-title' });
  const keyText = h('p', {});
  const keyPanel = h('section', { class: 'notice key-change', role: 'alert', hidden: true,
    'aria-labelledby': 'key-change-title' }, keyTitle, keyText,
  h('p', { text: t('room.keyHold') }),
  h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'secondary', text: t('room.keyShowNumber'),
      onclick: () => safety() }),
    h('button', { type: 'button', class: 'primary', text: t('room.keyContinue'),
      onclick: () => acceptKey() })));
  const log = new MessageLog(room.view.peer.handle);
  const box = composer((body) => app.relay.send(roomId, body));
  let closed = false;
  let blocked = false;

  const act = (action, title, explain, label, after) => async () => {
    if (!(await confirmAction(title, explain, label))) return;
    try {
      room.view = await action(roomId);
      after?.();
      await app.relay.refreshRoom(roomId);
    } catch (e) {
      showError(box.error, friendlyError(e));
    }
  };
  const safety = async () => {
    const number = room.safetyNumber();
    let body;
    if (!number) {
      body = [h('p', { text: room.view.peer.identity_key ? t('room.safetyAfterFirst')
        : t('room.notJoined', { handle: room.handle }) })];
    } else {
      body = [
        h('p', { text: t('room.safetyExplain', { handle: room.handle }) }),
        h('p', { class: 'safety-number', 'data-testid': 'safety-number', text: number }),
        h('p', { class: 'hint', 'data-testid': 'verification',
          text: room.verified && !room.keyChanged ? t('room.verifiedYes') : t('room.verifiedNo') }),
      ];
      if (room.keyChanged) body.push(h('p', { text: t('room.keyOldNumber', { handle: room.handle }) }));
    }
    const canVerify = Boolean(number) && !room.verified && !room.keyChanged;
    const answer = await modal({
      title: t('room.safetyTitle'),
      body,
      buttons: [
        ...(canVerify ? [{ label: t('room.markVerified'), value: 'verify' }] : []),
        { label: t('common.close'), value: 'close', kind: 'primary' },
      ],
    });
    if (answer === 'verify') {
      try {
        await app.relay.markVerified(roomId);
      } catch (e) {
        showError(box.error, friendlyError(e));
      }
    }
  };
  const acceptKey = async () => {
    try {
      await app.relay.acceptKeyChange(roomId);
    } catch (e) {
      showError(box.error, friendlyError(e));
    }
  };
  const menu = optionsMenu([
    [t('room.end'), 'secondary', act((id) => app.api.closeRoom(id), t('room.endConfirmTitle'),
      t('room.endConfirmText'), t('room.end'))],
    [t('room.block'), 'danger', act((id) => app.api.blockPeer(id),
      t('room.blockConfirmTitle', { handle: room.handle }), t('room.blockConfirmText'),
      t('room.block'), () => { blocked = true; })],
  ]);
  const report = app.me.role === 'moderator' ? null
    : h('button', { type: 'button', class: 'danger', text: t('room.report'),
      onclick: () => reportDialog(app, room) });
  const actions = h('div', { class: 'room-actions' }, report,
    h('button', { type: 'button', class: 'secondary', text: t('room.safetyNumber'),
      onclick: safety }),
    menu.element);

  const draw = () => {
    const peer = room.view.peer;
    heading.textContent = t('room.heading', { handle: peer.handle });
    about.textContent = `${peer.specialty} · ${peer.experience_band} · `
      + `${room.view.topics.map(topicLabel).join(', ')}`;
    const ended = room.view.status === 'closed' || !room.open;
    let notice = '';
    if (!ended && peer.left) notice = t('room.peerLeft', { handle: peer.handle });
    else if (!ended && !peer.identity_key) notice = t('room.waitingForPeer', { handle: peer.handle });
    banner.textContent = notice;
    banner.hidden = !notice;
    keyPanel.hidden = !room.keyChanged;
    keyTitle.textContent = t('room.keyTitle', { handle: peer.handle });
    keyText.textContent = t('room.keyText', { handle: peer.handle });
    verifiedNote.hidden = !room.verified || room.keyChanged;
    box.setEnabled(!ended && Boolean(peer.identity_key) && !room.keyChanged);
    box.element.hidden = ended;
    actions.hidden = ended;
    if (ended && !closed) {
      closed = true;
      showError(box.error, null); // e.g. a receipt refused because the room closed meanwhile
      log.setFooter(closingCard({ handle: peer.handle, blocked, peerLeft: peer.left }));
    }
    const added = log.update(room.messages);
    app.unread?.update(room, { onScreen: true });
    if (added.length > 0 && document.visibilityState === 'hidden') {
      showLocalNotice(t('notify.newMessage')).catch(() => {});
    }
  };

  const onRoom = (event) => { if (event.detail === roomId) draw(); };
  const onNotify = (event) => {
    if (event.detail.event === 'room') app.relay.refreshRoom(roomId).catch(() => {});
  };
  // Once the room has ended, what could not be sent no longer matters: the closing card says it.
  const onProblem = (event) => { if (!closed) showError(box.error, event.detail); };
  const onVisible = () => { if (document.visibilityState === 'visible') draw(); };
  app.relay.addEventListener('room', onRoom);
  app.relay.addEventListener('notify', onNotify);
  app.relay.addEventListener('problem', onProblem);
  document.addEventListener('visibilitychange', onVisible);
  const unwatch = watchConnectivity(app.relay, (offline) => {
    offlineBanner.hidden = !offline;
    log.setOffline(offline, room.messages);
  });
  // The server does not announce that the peer registered their room key: look until they have.
  const poll = setInterval(() => {
    if (!room.view.peer.identity_key && room.view.status === 'open') {
      app.relay.refreshRoom(roomId).catch(() => {});
    }
  }, 2000);
  const element = h('section', { class: 'screen room' },
    h('div', { class: 'room-head' },
      h('p', { class: 'back' }, h('a', { href: '#/home', text: t('room.back') })),
      heading, about, verifiedNote, actions, banner, offlineBanner, keyPanel),
    log.element, box.element);
  draw();
  requestAnimationFrame(() => log.scrollToEnd());
  return {
    title: t('room.title', { handle: room.handle }),
    cleanup: () => {
      clearInterval(poll);
      unwatch();
      app.relay.removeEventListener('room', onRoom);
      app.relay.removeEventListener('notify', onNotify);
      app.relay.removeEventListener('problem', onProblem);
      document.removeEventListener('visibilitychange', onVisible);
    },
    element,
  };
}
