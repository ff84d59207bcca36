/**
 * The institution admin's screens: invites (create with a role, list, revoke), integration
 * credentials for the incident system (the secret shown once), the check-ins dashboard (the
 * last 12 completed months, every count below k shown as "fewer than k", with a chart) and the
 * team scores with their formula. Nothing here is per person: the server sends none.
 *
 * @module app/screens/admin
 */

import { busy, errorBox, h, shortTime, showError } from '../dom.js';

const ROLES = [['clinician', 'Clinician'], ['supporter', 'Peer supporter'],
  ['institution_admin', 'Institution admin']];
const METRICS = [
  ['events_received', 'Events received'],
  ['checkins_offered', 'Check-ins offered'],
  ['checkins_accepted', 'Check-ins accepted'],
  ['conversations_held', 'Conversations held'],
  ['teams_flagged', 'Teams flagged'],
];
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'text') el.textContent = String(value);
    else el.setAttribute(name, String(value));
  }
  el.append(...children);
  return el;
}

function del(app, path) {
  return app.api.call('DELETE', path);
}

async function invitesCard(app, institutionId) {
  const list = h('tbody');
  const error = errorBox();
  const created = h('div', { 'aria-live': 'polite' });
  const role = h('select', { id: 'invite-role' },
    ...ROLES.map(([code, label]) => h('option', { value: code, text: label })));
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Create invite' });
  const refresh = async () => {
    const invites = await app.api.get(`/api/v1/institutions/${institutionId}/invites`);
    list.replaceChildren(...invites.map((invite) => {
      const revoke = invite.status === 'open'
        ? h('button', { type: 'button', class: 'secondary', text: 'Revoke',
          'aria-label': `Revoke the ${invite.role} invite of ${shortTime(invite.created_at)}` })
        : null;
      revoke?.addEventListener('click', () => busy(revoke, error, async () => {
        await del(app, `/api/v1/invites/${invite.id}`);
        await refresh();
      }));
      return h('tr', {}, h('td', { text: invite.role }), h('td', { text: invite.status }),
        h('td', { text: shortTime(invite.expires_at) }), h('td', {}, revoke));
    }));
  };
  const form = h('form', { class: 'inline' },
    h('label', { for: role.id, text: 'Role' }), role, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      const invite = await app.api.post(`/api/v1/institutions/${institutionId}/invites`,
        { role: role.value });
      created.replaceChildren(h('p', { class: 'notice' }, 'New invite code (shown once): ',
        h('code', { 'data-testid': 'invite-code', text: invite.code })));
      await refresh();
    });
  });
  await refresh();
  return h('section', { class: 'card', 'aria-labelledby': 'invites-title' },
    h('h2', { id: 'invites-title', text: 'Invites' }), form, created, error,
    h('table', {}, h('thead', {}, h('tr', {}, ...['Role', 'Status', 'Expires', '']
      .map((t) => h('th', { scope: 'col', text: t })))), list));
}

async function credentialsCard(app, institutionId) {
  const list = h('tbody');
  const error = errorBox();
  const shown = h('div', { 'aria-live': 'polite' });
  const label = h('input', { id: 'credential-label', maxlength: 100, required: true,
    placeholder: 'Incident reporting system' });
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Create credential' });
  const base = `/api/v1/institutions/${institutionId}/integration-credentials`;
  const refresh = async () => {
    const found = await app.api.get(base);
    list.replaceChildren(...found.map((credential) => {
      const revoke = credential.revoked_at ? null
        : h('button', { type: 'button', class: 'secondary', text: 'Revoke',
          'aria-label': `Revoke ${credential.label}` });
      revoke?.addEventListener('click', () => busy(revoke, error, async () => {
        await del(app, `/api/v1/integration-credentials/${credential.id}`);
        await refresh();
      }));
      return h('tr', {}, h('td', { text: credential.label }),
        h('td', {}, h('code', { text: credential.fingerprint })),
        h('td', { text: credential.last_used_at ? shortTime(credential.last_used_at) : 'never' }),
        h('td', { text: credential.revoked_at ? 'revoked' : 'active' }), h('td', {}, revoke));
    }));
  };
  const form = h('form', { class: 'inline' },
    h('label', { for: label.id, text: 'Label' }), label, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, error, async () => {
      const credential = await app.api.post(base, { label: label.value });
      label.value = '';
      shown.replaceChildren(h('div', { class: 'notice' },
        h('p', { text: 'Give these to your incident system now; the secret is not shown again.' }),
        h('p', {}, 'Credential: ', h('code', { text: credential.id })),
        h('p', {}, 'Secret: ', h('code', { 'data-testid': 'credential-secret',
          text: credential.secret }))));
      await refresh();
    });
  });
  await refresh();
  return h('section', { class: 'card', 'aria-labelledby': 'credentials-title' },
    h('h2', { id: 'credentials-title', text: 'Integration credentials' }),
    h('p', { class: 'hint', text: 'Your incident system signs each AdverseEvent with one of '
      + 'these (see docs/checkins.md). Revoking one is final.' }),
    form, shown, error,
    h('table', {}, h('thead', {}, h('tr', {}, ...['Label', 'Fingerprint', 'Last used', 'State',
      ''].map((t) => h('th', { scope: 'col', text: t })))), list));
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
      svg('title', { text: `${month.month}: ${count.display}` })),
      svg('text', { x: i * bar + bar / 2, y: height - 6, 'text-anchor': 'middle',
        class: 'tick', text: month.month.slice(5) }),
      svg('text', { x: i * bar + bar / 2, y: height - 24 - tall, 'text-anchor': 'middle',
        class: 'count', text: suppressed ? `<${summary.k}` : String(count.value) }));
  });
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart',
    'aria-label': `${label}, last 12 months` }, ...bars);
}

async function dashboardCard(app, institutionId) {
  const summary = await app.api.get(`/api/v1/institutions/${institutionId}/checkins/summary`);
  const pick = h('select', { id: 'dashboard-metric' },
    ...METRICS.map(([code, label]) => h('option', { value: code, text: label })));
  const holder = h('div', { class: 'chart-holder' });
  const draw = () => {
    const label = METRICS.find(([code]) => code === pick.value)[1];
    holder.replaceChildren(chart(summary, pick.value, label));
  };
  pick.addEventListener('change', draw);
  draw();
  const table = h('table', { class: 'summary' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Month' }),
      ...METRICS.map(([, label]) => h('th', { scope: 'col', text: label })))),
    h('tbody', {}, ...summary.months.map((month) => h('tr', {},
      h('th', { scope: 'row', text: month.month }),
      ...METRICS.map(([code]) => h('td', { text: month[code].display }))))));
  return h('section', { class: 'card', 'aria-labelledby': 'dashboard-title' },
    h('h2', { id: 'dashboard-title', text: 'Check-ins dashboard' }),
    h('p', { class: 'hint', text: `The last 12 completed months. Every count below ${summary.k} `
      + `is shown as "fewer than ${summary.k}"; nothing here is about any one person.` }),
    h('div', { class: 'field' }, h('label', { for: pick.id, text: 'Show' }), pick),
    holder, h('details', {}, h('summary', { text: 'All counts' }), table));
}

async function teamsCard(app, institutionId) {
  const scores = await app.api.get(`/api/v1/institutions/${institutionId}/team-scores`);
  const weights = Object.entries(scores.formula.weights).map(([k, v]) => `${k} ${v}`).join(', ');
  const rows = scores.teams.map((team) => h('tr', {},
    h('th', { scope: 'row', text: team.team }),
    ...Object.values(team.signals).map((s) => h('td', { text: `${s.value} (z ${s.z})` })),
    h('td', { text: String(team.score) }), h('td', { text: team.flagged ? 'flagged' : '' })));
  return h('section', { class: 'card', 'aria-labelledby': 'teams-title' },
    h('h2', { id: 'teams-title', text: 'Team load' }),
    h('p', { class: 'hint', text: scores.formula.text }),
    h('p', { class: 'hint', text: `Weights: ${weights}; threshold ${scores.formula.threshold}.` }),
    scores.week ? h('table', {}, h('caption', { text: `Week of ${scores.week}` }),
      h('thead', {}, h('tr', {}, ...['Team', 'After-hours minutes', 'Adverse events', 'Census',
        'Score', ''].map((t) => h('th', { scope: 'col', text: t })))), h('tbody', {}, ...rows))
      : h('p', { text: 'No team signals received yet.' }));
}

export async function render(app) {
  const institution = app.me.institution;
  const error = errorBox();
  const cards = [];
  for (const make of [dashboardCard, invitesCard, credentialsCard, teamsCard]) {
    try {
      cards.push(await make(app, institution.id));
    } catch (e) {
      showError(error, e.detail || 'Part of this page could not be loaded.');
    }
  }
  return {
    title: 'Administration',
    element: h('section', { class: 'screen admin' },
      h('h1', { text: institution.name }),
      h('p', { class: 'hint', text: 'Institution administration' }),
      error, ...cards),
  };
}
