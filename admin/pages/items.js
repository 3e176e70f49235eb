// items.js — #/items: concierge requests, maintenance and tasks, filtered
// by kind, state, property and assignee (the filters live in the address,
// so a reload or a shared link keeps them); #/items/<id>: one item with its
// facts, its history and the moves it may make (lib/transitions.js).

import { debounce, h, replace } from '../lib/dom.js';
import { ApiError, get } from '../lib/api.js';
import { properties, nameOf, zoneOf } from '../lib/properties.js';
import { badge, empty, errorBox, facts, notice, pageHeader, section } from '../lib/ui.js';
import { dateTime, label, relative } from '../lib/format.js';
import { transitionPanel } from '../lib/transitions.js';

const KINDS = ['concierge', 'maintenance', 'task'];
const STATES = ['requested', 'confirmed', 'in_progress', 'done', 'cancelled', 'failed'];
const PAGE = 50;

export default function mount(container, ctx) {
  return ctx.id ? mountDetail(container, ctx) : mountList(container, ctx);
}

// --- the list ----------------------------------------------------------------

function choice(id, text, values, current, anyText) {
  const select = h('select', { id, name: id }, h('option', { value: '' }, anyText), values.map((v) => h('option', { value: v }, label(v))));
  select.value = current || '';
  return [h('label', { for: id }, text), select];
}

function mountList(container, { params, live }) {
  const filter = {
    kind: params.get('kind') || '',
    state: params.get('state') || '',
    property_id: params.get('property') || '',
    assignee: params.get('assignee') || '',
  };
  let props = [];
  let next = null;
  let serial = 0;
  let stopped = false;

  const [kindLabel, kind] = choice('f-kind', 'Kind', KINDS, filter.kind, 'Any kind');
  const [stateLabel, state] = choice('f-state', 'State', STATES, filter.state, 'Any state');
  const property = h('select', { id: 'f-property', name: 'property' }, h('option', { value: '' }, 'All properties'));
  const assignees = h('datalist', { id: 'assignees' });
  const assignee = h('input', { id: 'f-assignee', name: 'assignee', type: 'search', list: 'assignees', value: filter.assignee, placeholder: 'Anyone', autocomplete: 'off' });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter items' },
    h('div', null, kindLabel, kind),
    h('div', null, stateLabel, state),
    h('div', null, h('label', { for: 'f-property' }, 'Property'), property),
    h('div', null, h('label', { for: 'f-assignee' }, 'Assignee'), assignee, assignees),
  );
  form.addEventListener('submit', (ev) => ev.preventDefault());
  const list = section('Items', { id: 'items-list' });
  const more = h('button', { type: 'button', class: 'button secondary', hidden: true }, 'Show more');
  replace(container, pageHeader('Items', 'Concierge requests, maintenance and tasks, with their real states.'), form, list, h('div', { class: 'button-row' }, more));

  properties()
    .then((l) => {
      props = l;
      l.forEach((p) => property.append(h('option', { value: p.id }, p.name)));
      property.value = filter.property_id;
    })
    .catch(() => {});

  const apply = () => {
    filter.kind = kind.value;
    filter.state = state.value;
    filter.property_id = property.value;
    filter.assignee = assignee.value.trim();
    const q = new URLSearchParams();
    if (filter.kind) q.set('kind', filter.kind);
    if (filter.state) q.set('state', filter.state);
    if (filter.property_id) q.set('property', filter.property_id);
    if (filter.assignee) q.set('assignee', filter.assignee);
    const qs = q.toString();
    history.replaceState(null, '', `#/items${qs ? `?${qs}` : ''}`);
    load(false);
  };
  [kind, state, property].forEach((el) => el.addEventListener('change', apply));
  const typed = debounce(apply, 350);
  assignee.addEventListener('input', typed);
  more.addEventListener('click', () => load(true));

  async function load(append) {
    const mine = ++serial;
    const query = { ...filter, limit: PAGE, after: append ? next : undefined };
    try {
      const page = await get('/api/items', { query });
      if (mine !== serial || stopped) return;
      next = page.has_more ? page.next : null;
      more.hidden = !next;
      const rows = page.data.map((it) => itemRow(it, props));
      const names = new Set([...assignees.options].map((o) => o.value));
      page.data.forEach((it) => {
        if (it.assignee && !names.has(it.assignee)) {
          names.add(it.assignee);
          assignees.append(h('option', { value: it.assignee }));
        }
      });
      if (append && list.body.querySelector('ul')) {
        list.body.querySelector('ul').append(...rows);
      } else if (rows.length) {
        replace(list.body, h('ul', { class: 'rows' }, rows));
      } else {
        replace(list.body, empty(describeEmpty(filter, props)));
      }
      list.setCount(list.body.querySelectorAll('li').length + (next ? '+' : ''));
    } catch (err) {
      if (mine === serial && !stopped) replace(list.body, errorBox(err));
    }
  }

  load(false);
  const refresh = debounce(() => load(false), 400);
  const unsubscribe = live.subscribe((m) => {
    if ((m.type === 'event' && m.event.entity_type === 'item') || m.type === 'open') refresh();
  });
  return () => {
    stopped = true;
    refresh.cancel();
    typed.cancel();
    unsubscribe();
  };
}

function describeEmpty(f, props) {
  const parts = [];
  if (f.state) parts.push(label(f.state));
  if (f.kind) parts.push(f.kind);
  const what = parts.length ? `${parts.join(' ')} items` : 'items';
  const where = f.property_id ? ` at ${nameOf(props, f.property_id)}` : '';
  const who = f.assignee ? ` assigned to ${f.assignee}` : '';
  return `No ${what}${where}${who}.`;
}

function itemRow(it, props) {
  const zone = zoneOf(props, it.property_id);
  const open = !['done', 'cancelled', 'failed'].includes(it.state);
  const overdue = open && it.due_at && Date.parse(it.due_at) < Date.now();
  return h(
    'li',
    { class: 'row', dataset: { id: it.id } },
    h(
      'div',
      { class: 'row-main' },
      h('a', { href: `#/items/${encodeURIComponent(it.id)}`, class: 'row-title' }, it.title),
      h('div', { class: 'row-meta' }, label(it.kind), props.length > 1 ? ` · ${nameOf(props, it.property_id)}` : '', ` · ${it.assignee || 'unassigned'}`),
      it.due_at ? h('span', { class: overdue ? 'due overdue' : 'due' }, `${overdue ? 'Overdue · ' : 'Due '}${dateTime(it.due_at, zone)}`) : null,
    ),
    h('div', { class: 'row-side' }, it.priority === 'urgent' || it.priority === 'high' ? badge(it.priority) : null, badge(it.state)),
  );
}

// --- one item ----------------------------------------------------------------

function mountDetail(container, { id, live }) {
  let stopped = false;
  let shown = null; // the version on screen
  const title = h('h1', { tabindex: '-1' }, 'Item');
  const head = h('header', { class: 'page-header' }, h('div', { class: 'page-title' }, h('p', { class: 'muted' }, h('a', { href: '#/items' }, '← All items')), title));
  const changedSlot = h('div', { 'aria-live': 'polite' });
  const body = h('div', { class: 'record' }, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  replace(container, head, changedSlot, body);

  async function load() {
    replace(changedSlot);
    try {
      const [item, history, props] = await Promise.all([
        get(`/api/items/${encodeURIComponent(id)}`),
        get(`/api/items/${encodeURIComponent(id)}/history`),
        properties().catch(() => []),
      ]);
      if (stopped) return;
      shown = item.version;
      render(item, history.data || [], props);
    } catch (err) {
      if (stopped) return;
      title.textContent = 'Item';
      if (err instanceof ApiError && err.status === 404) {
        replace(body, notice('No such item, or it belongs to a property you cannot see.', 'warn'));
      } else {
        replace(body, errorBox(err));
      }
    }
  }

  function render(item, history, props) {
    const zone = zoneOf(props, item.property_id);
    title.textContent = item.title;
    const main = h(
      'section',
      { class: 'card o1', 'aria-label': 'Details' },
      h('div', { class: 'record-badges' }, badge(item.state), badge(item.priority), badge(item.kind, 'quiet'), item.guest_impacting ? badge('guest-facing', 'info') : null),
      item.details ? h('p', { class: 'details-text' }, item.details) : h('p', { class: 'muted' }, 'No details.'),
      facts([
        ['Property', nameOf(props, item.property_id)],
        ['Due', item.due_at ? `${dateTime(item.due_at, zone)} (${relative(item.due_at)})` : 'No due time'],
        ['Assignee', item.assignee || 'Unassigned'],
        ['Booking', item.booking_id ? h('a', { href: `#/bookings/${encodeURIComponent(item.booking_id)}` }, 'Open the booking') : null],
        ['Version', String(item.version)],
        ['Last change', dateTime(item.updated_at, zone)],
        ['Id', h('span', { class: 'mono' }, item.id)],
      ]),
    );
    const move = transitionPanel('item', item, {
      onMoved: (moved) => {
        shown = moved ? moved.version : shown; // our own change is not news
        load();
      },
      onReload: () => load(),
    });
    move.classList.add('o2');
    const hist = section('History', { id: 'history', class: 'o3' });
    hist.setCount(history.length);
    replace(hist.body, history.length ? timeline(history, zone) : empty(`No moves yet: it has been ${label(item.state)} since it was created.`));
    replace(body, h('div', { class: 'column' }, main, hist), h('div', { class: 'column' }, move));
  }

  load();
  const unsubscribe = live.subscribe((m) => {
    if (m.type !== 'event' || m.event.entity_id !== id) return;
    const v = m.event.data && m.event.data.version;
    if (shown !== null && v !== undefined && v <= shown) return;
    // Never redraw under someone typing evidence: say so, and let them look.
    replace(
      changedSlot,
      notice(
        `This item just changed${m.event.data && m.event.data.state ? `: it is now ${label(m.event.data.state)}` : ''}.`,
        'warn',
        h('button', { type: 'button', class: 'button small', onclick: () => load() }, 'Show the current version'),
      ),
    );
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}

export function timeline(history, zone) {
  return h(
    'ol',
    { class: 'timeline' },
    history.map((t) =>
      h(
        'li',
        null,
        h('div', null, h('strong', null, `${label(t.from)} → ${label(t.to)}`), h('span', { class: 'muted' }, ` by ${t.actor}`)),
        h('div', { class: 'when' }, dateTime(t.at, zone)),
        t.evidence ? h('p', { class: 'quote' }, h('span', { class: 'muted' }, 'Evidence: '), t.evidence) : null,
        t.note ? h('p', { class: 'quote' }, h('span', { class: 'muted' }, 'Note: '), t.note) : null,
      ),
    ),
  );
}
