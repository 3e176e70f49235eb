// status.js — #/status: is the engine up and ready (GET /health, /ready),
// and what each integration really is (GET /admin/status, SPEC §9:
// implemented, configured, tested or deferred, and why). Also what this tab
// knows: who is signed in and the state of the live stream.

import { h, replace } from '../lib/dom.js';
import { ApiError, call, getOptional } from '../lib/api.js';
import * as session from '../lib/session.js';
import { badge, empty, errorBox, facts, pageHeader, section } from '../lib/ui.js';
import { label, relative } from '../lib/format.js';

export default function mount(container, { live }) {
  let stopped = false;
  const engine = section('Engine', { id: 'engine' });
  const integrations = section('Integrations', { id: 'integrations', hint: 'Tested means a live check passed in this engine process; configured means set up but not yet proved.' });
  const tab = section('This browser tab', { id: 'tab' });
  const refresh = h('button', { type: 'button', class: 'button secondary small' }, 'Check again');
  refresh.addEventListener('click', load);
  replace(container, pageHeader('Status', 'What is up, what is connected, and what is only configured.', refresh), h('div', { class: 'grid-2' }, h('div', { class: 'column' }, integrations), h('div', { class: 'column' }, engine, tab)));

  async function load() {
    const [health, ready] = await Promise.all([call('GET', '/health').catch((e) => e), call('GET', '/ready').catch((e) => e)]);
    if (stopped) return;
    const readyBody = ready instanceof ApiError ? ready.body : ready.data;
    const checks = (readyBody && readyBody.checks) || {};
    replace(
      engine.body,
      health instanceof ApiError
        ? errorBox(health)
        : facts([
            ['Health', badge(health.data.status)],
            ['Ready', badge(ready instanceof ApiError ? 'down' : 'ok')],
            ['Version', health.data.version],
            ['Up for', humanSeconds(health.data.uptime_s)],
            ...Object.entries(checks).map(([k, v]) => [capitalise(label(k)), badge(v)]),
          ]),
    );

    try {
      const r = await getOptional('/admin/status');
      if (stopped) return;
      if (r.missing) {
        replace(integrations.body, empty('This engine does not report integration status yet (/admin/status).'));
      } else {
        replace(integrations.body, integrationTable(r.data));
      }
    } catch (err) {
      if (stopped) return;
      replace(integrations.body, err instanceof ApiError && err.status === 403 ? empty('Integration status is for owners and the service key; your role cannot see it.') : errorBox(err));
    }
    renderTab();
  }

  function renderTab() {
    const who = session.identity();
    replace(
      tab.body,
      facts([
        ['Signed in as', who.kind === 'service' ? 'the service key' : who.sub],
        ['Role', who.role],
        ['Live updates', capitalise(label(live.status()))],
        ['Last change seen', live.lastSeq() ? `#${live.lastSeq()}` : 'none since this tab opened'],
        ['Token kept', 'in this tab only (sessionStorage); gone when you sign out or close the tab'],
      ]),
    );
  }

  load();
  const unsubscribe = live.subscribe((m) => {
    if (m.type === 'status' || m.type === 'event') renderTab();
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}

function humanSeconds(s) {
  if (typeof s !== 'number') return '—';
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} days ${Math.floor((s % 86400) / 3600)} h`;
}

const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** The integrations of /admin/status as a table, whatever its exact nesting. */
function integrationTable(body) {
  const source = body.integrations || body.checks || body;
  const rows = Array.isArray(source)
    ? source.map((x) => [x.name || x.id, x])
    : Object.entries(source).filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v));
  if (!rows.length) return empty('No integrations reported.');
  return h(
    'div',
    { class: 'table-wrap' },
    body.env ? h('p', { class: 'hint' }, `Environment: ${body.env}${body.checked_at ? ` · checked ${relative(body.checked_at)}` : ''}`) : null,
    h(
      'table',
      null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Integration'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Why'))),
      h(
        'tbody',
        null,
        rows.map(([name, v]) =>
          h(
            'tr',
            null,
            h('td', null, label(name)),
            h('td', null, badge(v.state || v.status || 'unknown')),
            h(
              'td',
              null,
              v.why || v.reason || '',
              v.detail ? h('div', { class: 'row-meta' }, v.detail) : null,
              v.proved_at ? h('div', { class: 'row-meta' }, `Last proved ${relative(v.proved_at)}`) : null,
              v.failed_at ? h('div', { class: 'row-meta overdue' }, `Last failed ${relative(v.failed_at)}`) : null,
            ),
          ),
        ),
      ),
    ),
  );
}
