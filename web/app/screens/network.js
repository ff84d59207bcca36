/**
 * The network admin's screen (`#/network`, where network admins land): the network's own
 * institutions (each opens its invites and check-ins, screens/admin.js), the moderator rota
 * (who is on duty, primary or backup, and whether their device can open sealed reports), and
 * federation: this node's address and key fingerprint, the peer nodes with their state, adding
 * a node by address and pinned fingerprint, revoking, and allowing a revoked node again.
 *
 * Routes: server/api/routes/networks.py, moderation.py (rota), federation.py. A peer node's
 * stand-in institution is not one of the network's own: the server leaves it out.
 *
 * @module app/screens/network
 */

import { confirmAction } from '../dialogs.js';
import { busy, errorBox, friendlyError, h, showError } from '../dom.js';
import { t } from '../i18n.js';
import { languagePicker } from '../languages.js';

const HEX64 = /^[0-9a-f]{64}$/;
const ORIGIN = /^https?:\/\/[^\s/?#]+$/;

/** A fingerprint as people read it out: groups of four hex digits. */
export function groupFingerprint(fingerprint) {
  return String(fingerprint).match(/.{1,4}/g)?.join(' ') ?? '';
}

/** A fingerprint as typed (any case, spaces or colons) in the form the server pins, or null. */
export function normaliseFingerprint(text) {
  const canonical = String(text).replace(/[\s:]/g, '').toLowerCase();
  return HEX64.test(canonical) ? canonical : null;
}

/** A node address as typed, without a trailing slash, or null when it is not an origin. */
export function normaliseNodeUrl(text) {
  const candidate = String(text).trim().replace(/\/+$/, '');
  return ORIGIN.test(candidate) ? candidate : null;
}

const shortDate = (iso) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? ''
    : date.toLocaleDateString(document.documentElement.lang || [], { day: 'numeric',
      month: 'short', year: 'numeric' });
};

function institutionsCard(network) {
  const items = network.institutions.map((institution) => h('li', {},
    h('a', { href: `#/institution/${encodeURIComponent(institution.id)}` },
      h('span', { class: 'name', text: institution.name }), ' ',
      h('span', { class: 'hint', text: t('network.institutionLink') }))));
  return h('section', { class: 'card', 'aria-labelledby': 'institutions-title' },
    h('h2', { id: 'institutions-title', text: t('network.institutions') }),
    h('p', { class: 'hint', text: t('network.institutionsCount',
      { count: network.institutions.length }) }),
    items.length ? h('ul', { class: 'institutions', 'data-testid': 'institutions' }, ...items)
      : h('p', { text: t('network.noInstitutions') }));
}

function rotaCard(entries) {
  const onDuty = (tier) => entries.filter((e) => e.on_duty && e.tier === tier).length;
  const primary = onDuty('primary');
  const items = entries.map((entry) => h('li', { class: entry.on_duty ? 'on' : 'off' },
    h('span', { class: 'name', text: t('network.moderator',
      { id: String(entry.account_id).slice(0, 8) }) }),
    h('span', { class: 'duty-state', text: entry.on_duty
      ? t('network.onDuty', { tier: t(`network.tier.${entry.tier}`) })
      : t('network.offDuty') }),
    h('span', { class: 'hint', text: entry.has_report_key ? t('network.canRead')
      : t('network.cannotRead') })));
  return h('section', { class: 'card', 'aria-labelledby': 'rota-title' },
    h('h2', { id: 'rota-title', text: t('network.rota') }),
    h('p', { 'data-testid': 'rota-summary', text: t('network.rotaSummary',
      { primary, backup: onDuty('backup') }) }),
    primary === 0 ? h('p', { class: 'warning', text: t('network.nobodyPrimary') }) : null,
    items.length ? h('ul', { class: 'rota', 'data-testid': 'rota' }, ...items)
      : h('p', { text: t('network.noModerators') }),
    h('p', { class: 'hint', text: t('network.rotaHint') }));
}

const PEER_ERRORS = () => ({
  422: t('network.peerInvalid'),
  503: t('network.peerUnreachable'),
});

async function peersCard(app) {
  const list = h('ul', { class: 'peers', 'data-testid': 'peers', 'aria-live': 'polite' });
  const error = errorBox();
  const node = h('div', { class: 'node' });
  const url = h('input', { id: 'peer-url', type: 'url', inputmode: 'url', autocomplete: 'off',
    spellcheck: 'false', required: true, maxlength: 300, placeholder: 'https://peerhaven.example.org',
    'aria-describedby': 'peer-url-hint' });
  const fingerprint = h('textarea', { id: 'peer-fingerprint', rows: 2, autocomplete: 'off',
    spellcheck: 'false', required: true, maxlength: 200, 'aria-describedby': 'peer-fp-hint' });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('network.allow') });
  const refreshButton = h('button', { type: 'button', class: 'secondary',
    text: t('network.checkAgain') });

  const refresh = async () => {
    const found = await app.api.federationPeers();
    node.replaceChildren(
      h('p', {}, h('span', { class: 'label', text: t('network.nodeAddress') }), ' ',
        h('code', { 'data-testid': 'node-url', text: found.node.name })),
      h('p', {}, h('span', { class: 'label', text: t('network.nodeFingerprint') }), ' ',
        h('code', { 'data-testid': 'node-fingerprint',
          text: groupFingerprint(found.node.key.fingerprint) })));
    list.replaceChildren(...found.peers.map(peerItem));
    if (!found.peers.length) list.replaceChildren(h('li', { class: 'empty',
      text: t('network.noPeers') }));
  };

  const peerItem = (peer) => {
    const actions = [];
    if (peer.status === 'revoked') {
      const again = h('button', { type: 'button', class: 'secondary', text: t('network.allowAgain'),
        'aria-label': t('network.allowAgainAria', { url: peer.url }) });
      again.addEventListener('click', () => {
        url.value = peer.url;
        fingerprint.value = groupFingerprint(peer.fingerprint);
        showError(error, null);
        fingerprint.focus();
        form.querySelector('.again-note').hidden = false;
      });
      actions.push(again);
    } else {
      const revoke = h('button', { type: 'button', class: 'danger', text: t('network.revoke'),
        'aria-label': t('network.revokeAria', { url: peer.url }) });
      revoke.addEventListener('click', async () => {
        const sure = await confirmAction(t('network.revokeTitle', { url: peer.url }),
          t('network.revokeText'), t('network.revoke'));
        if (!sure) return;
        await busy(revoke, error, async () => {
          await app.api.revokeFederationPeer(peer.id);
          await refresh();
        });
      });
      actions.push(revoke);
    }
    return h('li', { class: `peer ${peer.status}`, 'data-status': peer.status },
      h('p', { class: 'name' }, h('span', { text: peer.url })),
      h('p', {}, h('span', { class: `state ${peer.status}`,
        text: t(`network.peerState.${peer.status}`) }), ' ',
      h('span', { class: 'hint', text: t(`network.peerExplain.${peer.status}`) })),
      h('p', { class: 'hint' }, t('network.fingerprint'), ' ',
        h('code', { text: groupFingerprint(peer.fingerprint) })),
      h('p', { class: 'hint', text: t('network.since', { date: shortDate(peer.updated_at) }) }),
      peer.status === 'active' && Number.isInteger(peer.availability?.total)
        ? h('p', { class: 'hint', text: t('network.available',
          { count: peer.availability.total }) }) : null,
      h('div', { class: 'actions' }, ...actions));
  };

  const form = h('form', { class: 'add-peer', 'aria-labelledby': 'add-peer-title' },
    h('h3', { id: 'add-peer-title', text: t('network.addPeer') }),
    h('p', { class: 'hint', text: t('network.addPeerHint') }),
    h('div', { class: 'field' }, h('label', { for: url.id, text: t('network.peerUrl') }), url,
      h('p', { class: 'hint', id: 'peer-url-hint', text: t('network.peerUrlHint') })),
    h('div', { class: 'field' },
      h('label', { for: fingerprint.id, text: t('network.peerFingerprint') }), fingerprint,
      h('p', { class: 'hint', id: 'peer-fp-hint', text: t('network.peerFingerprintHint') })),
    h('p', { class: 'notice again-note', hidden: true, text: t('network.allowAgainNote') }),
    error, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const address = normaliseNodeUrl(url.value);
    const pinned = normaliseFingerprint(fingerprint.value);
    if (!address) return showError(error, t('network.badUrl'));
    if (!pinned) return showError(error, t('network.badFingerprint'));
    return busy(submit, error, async () => {
      const peer = await app.api.addFederationPeer({ url: address, fingerprint: pinned });
      url.value = '';
      fingerprint.value = '';
      form.querySelector('.again-note').hidden = true;
      await refresh();
      showError(error, null);
      list.querySelector(`[data-status="${peer.status}"]`)?.scrollIntoView?.({ block: 'nearest' });
    }, PEER_ERRORS());
  });
  refreshButton.addEventListener('click', () => busy(refreshButton, error, refresh));
  await refresh();
  return h('section', { class: 'card', 'aria-labelledby': 'federation-title' },
    h('h2', { id: 'federation-title', text: t('network.federation') }),
    h('p', { class: 'hint', text: t('network.federationHint') }),
    h('h3', { text: t('network.thisNode') }), node,
    h('p', { class: 'hint', text: t('network.thisNodeHint') }),
    h('h3', { text: t('network.peers') }), list,
    h('div', { class: 'actions' }, refreshButton),
    form);
}

export async function render(app) {
  const error = errorBox();
  let network = null;
  const cards = [];
  try {
    network = await app.api.network();
    cards.push(institutionsCard(network));
  } catch (e) {
    showError(error, `${t('network.partFailed')} ${friendlyError(e)}`);
  }
  for (const make of [async () => rotaCard(await app.api.rota()), () => peersCard(app)]) {
    try {
      cards.push(await make());
    } catch (e) {
      showError(error, `${t('network.partFailed')} ${friendlyError(e)}`);
    }
  }
  return {
    title: t('network.title'),
    element: h('section', { class: 'screen admin network' },
      h('h1', { text: network?.name ?? t('network.title') }),
      h('p', { class: 'hint', text: t('network.subtitle') }),
      error, ...cards, h('div', { class: 'home-foot' }, languagePicker(app))),
  };
}

/** `#/institution/ID` for a network admin: that institution's admin screen, if it is ours. */
export async function institution(app, institutionId) {
  const network = await app.api.network();
  return network.institutions.find((i) => i.id === institutionId) ?? null;
}
