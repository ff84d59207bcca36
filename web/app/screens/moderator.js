/**
 * The moderator console: the duty switch (primary or backup tier), the network's live queue
 * (severity, then age, with each deadline counting down), and one flag at a time: claim, read
 * the sealed report on this device with "verified" marks from franking, acknowledge, act
 * (private room, close the room, suspend), resolve. Works on a phone and a desktop.
 *
 * This device's X25519 report key lives in the vault (`report-key`) and is registered with the
 * server under a device-key signature (docs/protocol.md §14) each time the console opens.
 *
 * @module app/screens/moderator
 */

import { b64encode } from '../../js/protocol/encoding.js';
import { commit } from '../../js/protocol/franking.js';
import { X25519KeyPair, signWithDomain } from '../../js/protocol/keys.js';
import { REPORT_KEY_DOMAIN, openReport, reportKeyPayload } from '../../js/protocol/report.js';
import { busy, errorBox, friendlyError, h, shortTime, showError } from '../dom.js';
import { confirmAction } from '../dialogs.js';
import { t } from '../i18n.js';
import { categoryLabel } from '../report.js';
import { bytesToText, textToBytes } from '../vault.js';

const OUTCOMES = ['supported', 'referred', 'no_action', 'room_closed', 'account_suspended'];
const short = (category) => t(`moderator.short.${category}`);
// Queue words the server sends as codes, shown in the reader's language.
const word = (kind, code) => t(`moderator.${kind}.${code}`);
const tierName = (code) => word('tier', code);

/** This device's report key pair, made and registered on first use. */
async function reportKey(app) {
  const stored = await app.vault.get('report-key');
  const keys = stored ? new X25519KeyPair(textToBytes(stored.priv, 32)) : X25519KeyPair.generate();
  if (!stored) await app.vault.put({ 'report-key': { priv: bytesToText(keys.privateKey) } });
  const payload = reportKeyPayload(app.device.origin, keys.publicKey);
  await app.api.registerReportKey({
    public_key: b64encode(keys.publicKey),
    signature: b64encode(signWithDomain(app.device.identity, REPORT_KEY_DOMAIN, payload)),
  });
  return keys;
}

function countdown(deadline) {
  if (!deadline) return '';
  const seconds = Math.round((new Date(deadline).getTime() - Date.now()) / 1000);
  if (seconds <= 0) return t('moderator.escalating');
  const m = Math.floor(seconds / 60);
  return m > 0 ? t('moderator.countdownMin', { m, s: seconds % 60 })
    : t('moderator.countdown', { s: seconds });
}

function dutyText(on, tier) {
  return on ? t('moderator.onDutyIn', { tier: tierName(tier).toLowerCase() })
    : t('moderator.offDuty');
}

export async function render(app) {
  let keys;
  try {
    keys = await reportKey(app);
  } catch (error) {
    return { title: t('moderator.title'), element: h('section', { class: 'screen' },
      h('h1', { text: t('moderator.unavailable') }), h('p', { text: friendlyError(error) })) };
  }
  const error = errorBox();
  const onDuty = h('input', { type: 'checkbox', id: 'on-duty', role: 'switch' });
  const tier = h('select', { id: 'duty-tier' },
    h('option', { value: 'primary', text: tierName('primary') }),
    h('option', { value: 'backup', text: tierName('backup') }));
  const dutyState = h('p', { class: 'hint', role: 'status' });
  const queue = h('ul', { class: 'queue', 'aria-label': t('moderator.flags'),
    'data-testid': 'queue' });
  const detail = h('section', { class: 'card flag-detail', 'aria-live': 'polite', hidden: true });
  let flags = [];
  let selected = null;

  const setDuty = async () => {
    try {
      await app.api.setDuty({ on_duty: onDuty.checked, tier: tier.value });
      dutyState.textContent = dutyText(onDuty.checked, tier.value);
    } catch (e) {
      showError(error, friendlyError(e));
    }
  };
  onDuty.addEventListener('change', setDuty);
  tier.addEventListener('change', () => { if (onDuty.checked) setDuty(); });

  const drawQueue = () => {
    queue.replaceChildren(...flags.map((flag) => {
      const item = h('li', { class: `flag severity-${flag.severity}`, 'data-flag': flag.id },
        h('button', { type: 'button', class: 'flag-open', onclick: () => select(flag.id) },
          h('span', { class: 'badge', text: word('severity', flag.severity) }),
          h('strong', { text: short(flag.category) }),
          h('span', { class: 'hint', text: ` · ${word('status', flag.status)} · `
            + `${tierName(flag.tier)} · ${shortTime(flag.created_at)}` }),
          h('span', { class: 'countdown', 'data-deadline': flag.deadline ?? '',
            text: countdown(flag.deadline) })));
      return item;
    }));
    if (flags.length === 0) queue.append(h('li', { class: 'hint', text: t('moderator.empty') }));
  };

  const refresh = async () => {
    try {
      flags = await app.api.flags();
      drawQueue();
      if (selected) await select(selected, { quiet: true });
    } catch (e) {
      showError(error, friendlyError(e));
    }
  };

  const step = (flag, path, body) => async () => {
    try {
      await app.api.flagStep(flag.id, path, body);
      await refresh();
    } catch (e) {
      showError(error, friendlyError(e));
    }
  };

  async function readReport(flag, into) {
    let report;
    try {
      report = openReport(flag.sealed_report, { room: flag.room_id, category: flag.category,
        publicKey: keys.publicKey, privateKey: keys.privateKey });
    } catch {
      into.append(h('p', { class: 'error', text: t('moderator.cannotOpen') }));
      return;
    }
    into.append(h('p', { class: 'note' }, h('strong', { text: t('moderator.note') }),
      report.note || t('moderator.noNote')));
    if (report.messages.length === 0) return;
    const verdicts = await app.api.flagStep(flag.id, 'verify', {
      messages: report.messages.map((m) => ({ message_id: m.id,
        commitment: b64encode(commit(m.frankingKey, m.plaintext)) })),
    });
    const byId = new Map(verdicts.map((v) => [v.message_id, v]));
    const senders = new Set();
    into.append(h('ol', { class: 'revealed', 'aria-label': t('moderator.revealed') },
      ...report.messages.map((m) => {
        const verdict = byId.get(m.id);
        if (verdict?.verified && !verdict.from_reporter) senders.add(verdict.sender_member_id);
        return h('li', { class: 'message theirs' },
          h('p', { class: 'text', text: new TextDecoder().decode(m.plaintext) }),
          h('span', { class: 'meta' }, verdict ? shortTime(verdict.sent_at) : '',
            verdict?.verified
              ? h('span', { class: 'verified', 'data-testid': 'verified',
                text: ` · ${t('moderator.verified')}` })
              : h('span', { class: 'unverified', text: ` · ${t('moderator.notVerified')}` })));
      })));
    for (const member of senders) {
      into.append(h('button', { type: 'button', class: 'danger', text: t('moderator.suspend'),
        onclick: async () => {
          if (!(await confirmAction(t('moderator.suspendTitle'), t('moderator.suspendText'),
            t('moderator.suspendConfirm')))) return;
          await step(flag, 'suspend', { member_id: member })();
        } }));
    }
  }

  async function select(flagId, { quiet = false } = {}) {
    selected = flagId;
    let flag;
    try {
      flag = await app.api.flag(flagId);
    } catch (e) {
      showError(error, friendlyError(e));
      return;
    }
    const body = h('div', { class: 'report-body' });
    const actions = h('div', { class: 'room-actions' });
    const mine = flag.claimed_by_me;
    if (flag.status === 'open') {
      actions.append(h('button', { type: 'button', class: 'primary', text: t('moderator.claim'),
        onclick: step(flag, 'claim') }));
    }
    if (mine && flag.status === 'claimed') {
      actions.append(h('button', { type: 'button', class: 'primary',
        text: t('moderator.acknowledge'), onclick: step(flag, 'acknowledge') }));
    }
    if (mine && flag.status !== 'resolved') {
      actions.append(
        h('button', { type: 'button', class: 'secondary', text: t('moderator.talk'),
          onclick: async () => {
            try {
              const made = await app.api.flagStep(flag.id, 'private-room');
              app.go(`#/room/${made.room_id}`);
            } catch (e) {
              showError(error, friendlyError(e));
            }
          } }),
        h('button', { type: 'button', class: 'secondary', text: t('moderator.closeRoom'),
          onclick: async () => {
            if (await confirmAction(t('moderator.closeTitle'), t('moderator.closeText'),
              t('moderator.closeConfirm'))) await step(flag, 'close-room')();
          } }));
    }
    if (mine && flag.status === 'acknowledged') {
      const outcome = h('select', { id: 'outcome' },
        ...OUTCOMES.map((v) => h('option', { value: v, text: word('outcome', v) })));
      actions.append(h('label', { for: outcome.id, text: t('moderator.outcome') }), outcome,
        h('button', { type: 'button', class: 'primary', text: t('moderator.resolve'),
          onclick: () => step(flag, 'resolve', { outcome: outcome.value })() }));
    }
    detail.replaceChildren(
      h('h2', { text: categoryLabel(flag.category) }),
      h('p', { class: 'hint', text: t('moderator.summary', {
        severity: word('severity', flag.severity), status: word('status', flag.status),
        tier: tierName(flag.tier), time: shortTime(flag.created_at) }) }),
      actions, body);
    detail.hidden = false;
    if (mine && flag.sealed_report) await readReport(flag, body);
    else if (flag.sealed_report) {
      body.append(h('p', { class: 'hint', text: t('moderator.claimToRead') }));
    } else body.append(h('p', { class: 'hint', text: t('moderator.noReport') }));
    if (!quiet) detail.querySelector('h2')?.focus();
  }

  const onNotify = (event) => { if (event.detail.event === 'flag') refresh(); };
  app.relay.addEventListener('notify', onNotify);
  const tick = setInterval(() => {
    for (const el of queue.querySelectorAll('.countdown')) {
      el.textContent = countdown(el.dataset.deadline);
    }
  }, 1000);
  try {
    const rota = await app.api.rota();
    const me = rota.find((entry) => entry.account_id === app.me.account_id);
    onDuty.checked = Boolean(me?.on_duty);
    if (me) tier.value = me.tier;
    dutyState.textContent = dutyText(Boolean(me?.on_duty), me?.tier ?? 'primary');
  } catch (e) {
    showError(error, friendlyError(e));
  }
  await refresh();
  return {
    title: t('moderator.title'),
    cleanup: () => {
      clearInterval(tick);
      app.relay.removeEventListener('notify', onNotify);
    },
    element: h('section', { class: 'screen moderator' },
      h('h1', { text: t('moderator.title') }),
      h('div', { class: 'card duty' },
        h('div', { class: 'check' }, onDuty,
          h('label', { for: onDuty.id, text: t('moderator.onDuty') })),
        h('label', { for: tier.id, text: t('moderator.tierLabel') }), tier, dutyState),
      error,
      h('h2', { text: t('moderator.queue') }), queue, detail),
  };
}
