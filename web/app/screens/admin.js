/**
 * The institution admin's screens: invites (create with a role, list, revoke), integration
 * credentials for the incident system (the secret shown once), the check-ins dashboard (the
 * last 12 completed months, every count below k shown as "fewer than k", with a chart) and the
 * team scores with their formula. Nothing here is per person: the server sends none.
 *
 * A network admin reaches the same screen for any institution of the network from the network
 * screen (`#/institution/ID`, screens/network.js), and may also invite moderators and network
 * admins there.
 *
 * @module app/screens/admin
 */

import { busy, errorBox, friendlyError, h, shortTime, showError } from '../dom.js';
import { t } from '../i18n.js';
import { languagePicker } from '../languages.js';

const ROLES = ['clinician', 'supporter', 'institution_admin'];
const NETWORK_ROLES = ['moderator', 'network_admin'];
const METRICS = ['events_received', 'checkins_offered', 'checkins_accepted',
  'conversations_held', 'teams_flagged'];
const SIGNALS = ['after_hours_minutes', 'adverse_events', 'census'];
const SVG = 'http://www.w3.org/2000/svg';
// A table wider than a phone scrolls sideways (app.css): focusable, so a keyboard can scroll it.
const SCROLLS = Object.freeze({ tabindex: 0 });

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'text') el.textContent = String(value);
    else el.setAttribute(name, String(value));
  }
  el.append(...children);
  return el;
}

const roleLabel = (role) => t(`admin.role.${role}`);
const shortDate = (iso) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? ''
    : date.toLocaleDateString(document.documentElement.lang || [], { day: 'numeric',
      month: 'short' });
};

/** A count as the server gave it: a number, or "fewer than k" when it is suppressed. */
function shownCount(count, k) {
  return count.value === null ? t('admin.fewerThan', { k }) : String(count.value);
}

function headRow(labels) {
  return h('thead', {}, h('tr', {}, ...labels.map((text) => h('th', { scope: 'col', text }))));
}

async function invitesCard(app, institution, roles) {
  const list = h('tbody');
  const error = errorBox();
  const created = h('div', { 'aria-live': 'polite' });
  const role = h('select', { id: 'invite-role' },
    ...roles.map((code) => h('option', { value: code, text: roleLabel(code) })));
  const submit = h('button', { type: 'submit', class: 'primary', text: t('admin.createInvite') });
  const refresh = async () => {
    const invites = await app.api.invites(institution.id);
    list.replaceChildren(...invites.map((invite) => {
      const revoke = invite.status === 'open'
        ? h('button', { type: 'button', class: 'secondary', text: t('admin.revoke'),
          'aria-label': t('admin.revokeInvite', { role: roleLabel(invite.role),
            time: shortTime(invite.created_at) }) })
        : null;
      revoke?.addEventListener('click', () => busy(revoke, error, async () => {
        await app.api.revokeInvite(invite.id);
        await refresh();
      }));
      return h('tr', {}, h('td', { text: roleLabel(invite.role) }),
        h('td', { text: t(`admin.inviteStatus.${invite.status}`) }),
        h('td', { text: `${shortDate(invite.expires_at)} ${shortTime(invite.expires_at)}` }),
        h('td', {}, revoke));
    }));
  };
  const form = h('form', { class: 'inline' },
    h('label', { for: role.id, text: t('admin.role') }), role, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      const invite = await app.api.createInvite(institution.id, { role: role.value });
      created.replaceChildren(h('p', { class: 'notice' }, t('admin.newInvite'), ' ',
        h('code', { 'data-testid': 'invite-code', text: invite.code })));
      await refresh();
    }, { 409: t('admin.tooManyInvites') });
  });
  await refresh();
  return h('section', { class: 'card', 'aria-labelledby': 'invites-title' },
    h('h2', { id: 'invites-title', text: t('admin.invites') }),
    h('p', { class: 'hint', text: t('admin.invitesHint') }), form, created, error,
    h('table', SCROLLS, headRow([t('admin.role'), t('admin.status'), t('admin.expires'),
      t('admin.action')]), list));
}

async function credentialsCard(app, institution) {
  const list = h('tbody');
  const error = errorBox();
  const shown = h('div', { 'aria-live': 'polite' });
  const label = h('input', { id: 'credential-label', maxlength: 100, required: true,
    placeholder: t('admin.credentialPlaceholder') });
  const submit = h('button', { type: 'submit', class: 'primary',
    text: t('admin.createCredential') });
  const refresh = async () => {
    const found = await app.api.integrationCredentials(institution.id);
    list.replaceChildren(...found.map((credential) => {
      const revoke = credential.revoked_at ? null
        : h('button', { type: 'button', class: 'secondary', text: t('admin.revoke'),
          'aria-label': t('admin.revokeCredential', { label: credential.label }) });
      revoke?.addEventListener('click', () => busy(revoke, error, async () => {
        await app.api.revokeIntegrationCredential(credential.id);
        await refresh();
      }));
      return h('tr', {}, h('td', { text: credential.label }),
        h('td', {}, h('code', { text: credential.fingerprint })),
        h('td', { text: credential.last_used_at
          ? `${shortDate(credential.last_used_at)} ${shortTime(credential.last_used_at)}`
          : t('admin.never') }),
        h('td', { text: credential.revoked_at ? t('admin.revoked') : t('admin.active') }),
        h('td', {}, revoke));
    }));
  };
  const form = h('form', { class: 'inline' },
    h('label', { for: label.id, text: t('admin.label') }), label, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      const credential = await app.api.createIntegrationCredential(institution.id,
        { label: label.value });
      label.value = '';
      shown.replaceChildren(h('div', { class: 'notice' },
        h('p', { text: t('admin.secretOnce') }),
        h('p', {}, t('admin.credential'), ' ', h('code', { text: credential.id })),
        h('p', {}, t('admin.secret'), ' ', h('code', { 'data-testid': 'credential-secret',
          text: credential.secret }))));
      await refresh();
    }, { 422: t('admin.credentialInvalid') });
  });
  await refresh();
  return h('section', { class: 'card', 'aria-labelledby': 'credentials-title' },
    h('h2', { id: 'credentials-title', text: t('admin.credentials') }),
    h('p', { class: 'hint', text: t('admin.credentialsHint') }),
    form, shown, error,
    h('table', SCROLLS, headRow([t('admin.label'), t('admin.fingerprint'), t('admin.lastUsed'),
      t('admin.state'), t('admin.action')]), list));
}

/** A bar chart of one metric over the months; suppressed months are drawn as a hatched stub. */
function chart(summary, metric, label) {
  const width = 600;
  const height = 160;
  const bar = width / summary.months.length;
  const values = summary.months.map((m) => m[metric].value ?? 0);
  const top = Math.max(summary.k * 2, ...values);
  const bars = summary.months.map((month, i) => {
    const count = month[metric];
    const suppressed = count.value === null;
    const tall = suppressed ? (summary.k / top) * (height - 30) : (count.value / top) * (height - 30);
    return svg('g', {},
      svg('rect', { x: i * bar + 4, y: height - 20 - tall, width: bar - 8, height: tall,
        class: suppressed ? 'bar suppressed' : 'bar' },
      svg('title', { text: `${month.month}: ${shownCount(count, summary.k)}` })),
      svg('text', { x: i * bar + bar / 2, y: height - 6, 'text-anchor': 'middle',
        class: 'tick', text: month.month.slice(5) }),
      svg('text', { x: i * bar + bar / 2, y: height - 24 - tall, 'text-anchor': 'middle',
        class: 'count', text: suppressed ? `<${summary.k}` : String(count.value) }));
  });
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart',
    'aria-label': t('admin.chartLabel', { metric: label }) }, ...bars);
}

async function dashboardCard(app, institution) {
  const summary = await app.api.checkinSummary(institution.id);
  const pick = h('select', { id: 'dashboard-metric' },
    ...METRICS.map((code) => h('option', { value: code, text: t(`admin.metric.${code}`) })));
  const holder = h('div', { class: 'chart-holder' });
  const draw = () => holder.replaceChildren(
    chart(summary, pick.value, t(`admin.metric.${pick.value}`)));
  pick.addEventListener('change', draw);
  draw();
  const table = h('table', { ...SCROLLS, class: 'summary' },
    headRow([t('admin.month'), ...METRICS.map((code) => t(`admin.metric.${code}`))]),
    h('tbody', {}, ...summary.months.map((month) => h('tr', {},
      h('th', { scope: 'row', text: month.month }),
      ...METRICS.map((code) => h('td', { text: shownCount(month[code], summary.k) }))))));
  return h('section', { class: 'card', 'aria-labelledby': 'dashboard-title' },
    h('h2', { id: 'dashboard-title', text: t('admin.dashboard') }),
    h('p', { class: 'hint', text: t('admin.dashboardHint', { k: summary.k }) }),
    h('div', { class: 'field' }, h('label', { for: pick.id, text: t('admin.show') }), pick),
    holder, h('details', {}, h('summary', { text: t('admin.allCounts') }), table));
}

async function teamsCard(app, institution) {
  const scores = await app.api.teamScores(institution.id);
  const { formula } = scores;
  const weights = SIGNALS.filter((s) => s in formula.weights)
    .map((s) => `${t(`admin.signal.${s}`)} ${formula.weights[s]}`).join(', ');
  const rows = scores.teams.map((team) => h('tr', {},
    h('th', { scope: 'row', text: team.team }),
    ...SIGNALS.map((s) => team.signals[s]).map((s) => h('td', {
      text: s ? t('admin.signalValue', { value: s.value, z: s.z }) : '' })),
    h('td', { text: String(team.score) }),
    h('td', { text: team.flagged ? t('admin.flagged') : t('admin.notFlagged') })));
  return h('section', { class: 'card', 'aria-labelledby': 'teams-title' },
    h('h2', { id: 'teams-title', text: t('admin.teams') }),
    h('p', { class: 'hint', text: t('admin.formula', { weeks: formula.baseline_weeks,
      min: formula.min_baseline }) }),
    h('p', { class: 'hint', text: t('admin.weights', { weights,
      threshold: formula.threshold }) }),
    scores.week ? h('table', SCROLLS, h('caption', { text: t('admin.weekOf', { week: scores.week }) }),
      headRow([t('admin.team'), ...SIGNALS.map((s) => t(`admin.signal.${s}`)), t('admin.score'),
        t('admin.flag')]), h('tbody', {}, ...rows))
      : h('p', { text: t('admin.noSignals') }));
}

/**
 * The screen. `institution` (`{id, name}`) is the admin's own by default; a network admin
 * passes one of the network's, and gets a way back to the network screen.
 */
export async function render(app, { institution = app.me.institution } = {}) {
  const networkAdmin = app.me.role === 'network_admin';
  const roles = networkAdmin ? [...ROLES, ...NETWORK_ROLES] : ROLES;
  const error = errorBox();
  const cards = [];
  for (const make of [dashboardCard, invitesCard, credentialsCard, teamsCard]) {
    try {
      cards.push(await make(app, institution, roles));
    } catch (e) {
      showError(error, `${t('admin.partFailed')} ${friendlyError(e)}`);
    }
  }
  return {
    title: t('admin.title'),
    element: h('section', { class: 'screen admin' },
      networkAdmin ? h('p', { class: 'back' },
        h('a', { href: '#/network', text: t('admin.backToNetwork') })) : null,
      h('h1', { text: institution.name }),
      h('p', { class: 'hint', text: t('admin.subtitle') }),
      error, ...cards, h('div', { class: 'home-foot' }, languagePicker(app))),
  };
}
