// audit.js — #/audit: the append-only audit log (GET /api/audit), newest
// first, for a period or one record. Each event shows who did what to which
// record, and opens to its before and after and its place in the hash chain.

import { debounce, h, replace } from '../lib/dom.js';
import { getAll } from '../lib/api.js';
import { empty, errorBox, pageHeader, section } from '../lib/ui.js';
import { dateTime, label, recordHref } from '../lib/format.js';

const PERIODS = [
  ['1', 'Last hour', 3600],
  ['24', 'Last 24 hours', 86400],
  ['168', 'Last 7 days', 7 * 86400],
  ['all', 'Everything', null],
];
const PAGES_MAX = 6; // 3,000 events at most on one screen

export default function mount(container, { params, live }) {
  let stopped = false;
  let serial = 0;
  const period = h('select', { id: 'a-period', name: 'period' }, PERIODS.map(([v, t]) => h('option', { value: v }, t)));
  period.value = params.get('period') || '24';
  const entity = h('input', { id: 'a-entity', name: 'entity', type: 'search', placeholder: 'itm_…, bk_…, gst_…', value: params.get('entity') || '', autocomplete: 'off', spellcheck: 'false' });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    h('div', null, h('label', { for: 'a-period' }, 'Period'), period),
    h('div', null, h('label', { for: 'a-entity' }, 'Record id'), entity),
  );
  const list = section('Events', { id: 'audit-events', hint: 'Newest first. Every write appends one; none is ever changed.' });
  replace(container, pageHeader('Audit', 'Who changed what, and when.'), form, list);

  const apply = () => {
    const q = new URLSearchParams();
    if (period.value !== '24') q.set('period', period.value);
    if (entity.value.trim()) q.set('entity', entity.value.trim());
    history.replaceState(null, '', `#/audit${q.toString() ? `?${q}` : ''}`);
    load();
  };
  period.addEventListener('change', apply);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    apply();
  });
  entity.addEventListener('change', apply);

  async function load() {
    const mine = ++serial;
    const seconds = (PERIODS.find(([v]) => v === period.value) || PERIODS[1])[2];
    const query = {};
    if (seconds) query.since = new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    if (entity.value.trim()) query.entity_id = entity.value.trim();
    try {
      const { rows, more } = await getAll('/api/audit', query, { maxPages: PAGES_MAX });
      if (stopped || mine !== serial) return;
      rows.reverse();
      list.setCount(more ? `${rows.length}+` : rows.length);
      if (!rows.length) {
        replace(list.body, empty(query.entity_id ? `No audit events for ${query.entity_id} in this period.` : 'No audit events in this period.'));
        return;
      }
      replace(list.body, more ? h('p', { class: 'hint' }, 'Showing the oldest part of a long period; narrow it to see the newest events.') : null, h('div', null, rows.map(eventView)));
    } catch (err) {
      if (!stopped && mine === serial) replace(list.body, errorBox(err));
    }
  }

  load();
  const refresh = debounce(load, 1000);
  const unsubscribe = live.subscribe((m) => {
    if (m.type === 'event' && (!entity.value.trim() || m.event.entity_id === entity.value.trim())) refresh();
  });
  return () => {
    stopped = true;
    refresh.cancel();
    unsubscribe();
  };
}

const ENTITY_NAMES = { item: 'Item', booking: 'Booking', guest: 'Guest', property: 'Property', message: 'Message' };

/** "Item moved to confirmed", "Booking edited", "Guest created". */
function describe(e) {
  const [, verb = e.action] = String(e.action).split('.');
  const entity = ENTITY_NAMES[e.entity_type] || label(e.entity_type || 'record');
  const state = e.after && (e.after.state || e.after.status);
  if (verb === 'transitioned' && state) return `${entity} moved to ${label(state)}`;
  if (verb === 'updated') return `${entity} edited`;
  return `${entity} ${label(verb)}`;
}

function eventView(e) {
  const href = recordHref(e.entity_id);
  const what = (e.after && (e.after.title || e.after.name)) || (e.before && (e.before.title || e.before.name)) || e.entity_id;
  return h(
    'details',
    { class: 'audit-row', dataset: { seq: String(e.seq) } },
    h(
      'summary',
      null,
      h('span', { class: 'row-main' }, h('span', { class: 'row-title' }, what), h('span', { class: 'row-meta audit-meta' }, `${describe(e)} · by ${e.actor} · ${dateTime(e.at)}`)),
      h('span', { class: 'hash' }, `#${e.seq}`),
    ),
    h(
      'div',
      null,
      h('p', { class: 'row-meta' }, `${e.action} · `, href ? h('a', { href }, 'Open the record') : h('span', { class: 'mono' }, e.entity_id)),
      h('div', { class: 'diff' }, h('div', null, h('h3', null, 'Before'), h('pre', null, e.before ? JSON.stringify(e.before, null, 2) : '—')), h('div', null, h('h3', null, 'After'), h('pre', null, e.after ? JSON.stringify(e.after, null, 2) : '—'))),
      h('p', { class: 'hash' }, `hash ${e.hash}`, h('br'), `previous ${e.prev_hash}`),
    ),
  );
}
