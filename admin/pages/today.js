// today.js — the operator's day (GET /api/today): what needs doing, payment
// risks, arrivals, departures and who is in house with an open balance, in
// the day's zone. Refreshed whenever the change stream reports a commit (and
// after every reconnect, which may follow a gap), so a change made anywhere
// shows here without a reload. Rows that changed are marked for a moment.

import { debounce, h, replace } from '../lib/dom.js';
import { get, getOptional } from '../lib/api.js';
import { properties, nameOf, zoneOf } from '../lib/properties.js';
import { badge, empty, errorBox, pageHeader, section } from '../lib/ui.js';
import { day, label, money, relative, stay, time } from '../lib/format.js';

const REFRESH_MS = 5 * 60 * 1000; // the day rolls over at midnight in its zone

let risksMissing = null; // null: not asked yet; true: no ledger in this engine

export default function mount(container, { params, live }) {
  let props = [];
  let property = params.get('property') || '';
  let previous = null; // id → JSON of the last render, to mark changes
  let aborted = false;

  const select = h('select', { id: 'today-property', 'aria-label': 'Property' }, h('option', { value: '' }, 'All properties'));
  const updated = h('span', { class: 'updated muted', 'aria-live': 'off' });
  const subtitle = h('p', { class: 'muted', id: 'today-subtitle' }, '\u00a0');
  const header = pageHeader('Today', null, h('label', { class: 'inline-label', for: 'today-property' }, 'Property'), select);
  header.querySelector('.page-title').append(subtitle);

  const counts = h('ul', { class: 'stats', 'aria-label': 'At a glance' });
  const due = section('Needs doing today', { id: 'due', hint: 'Requests, maintenance and tasks due today or overdue, soonest first.' });
  const risks = section('Payment risks', { id: 'risks' });
  const arrivals = section('Arrivals', { id: 'arrivals' });
  const departures = section('Departures', { id: 'departures' });
  const inHouse = section('In house', { id: 'in-house', hint: 'Stays under way, each with its open balance.' });
  const errorSlot = h('div');

  replace(
    container,
    header,
    errorSlot,
    counts,
    h('div', { class: 'grid-2' }, h('div', { class: 'column' }, due, risks), h('div', { class: 'column' }, arrivals, departures, inHouse)),
    h('p', { class: 'footnote' }, updated),
  );

  select.addEventListener('change', () => {
    property = select.value;
    const q = property ? `?property=${encodeURIComponent(property)}` : '';
    history.replaceState(null, '', `#/today${q}`);
    previous = null;
    load();
  });

  properties()
    .then((list) => {
      props = list;
      for (const p of list) select.append(h('option', { value: p.id }, p.name));
      select.value = property;
    })
    .catch(() => {});

  let serial = 0;
  async function load() {
    const mine = ++serial; // a slower, older answer must not overwrite a newer one
    try {
      const [today] = await Promise.all([
        get('/api/today', { query: { property_id: property || undefined } }),
        // Once per page load: does this engine have the Stripe ledger at all?
        risksMissing === null ? getOptional('/api/payments/risks').then((r) => (risksMissing = r.missing)).catch(() => null) : null,
      ]);
      if (aborted || mine !== serial) return;
      if (!props.length) props = await properties().catch(() => []);
      render(today);
      replace(errorSlot);
    } catch (err) {
      if (!aborted && mine === serial) replace(errorSlot, errorBox(err));
    }
  }

  function render(t) {
    const seen = new Map();
    const mark = (row, record) => {
      const key = JSON.stringify(record);
      seen.set(record.id || key, key);
      if (previous && previous.get(record.id || key) !== key) row.classList.add('changed');
      return row;
    };
    const multi = !property && props.length > 1;
    const zone = t.time_zone;
    subtitle.textContent = `${day(t.date)} · ${zone.replace(/_/g, ' ')}`;

    const dueItems = [...t.items_due].sort((a, b) => (a.due_at || '').localeCompare(b.due_at || ''));
    fill(due, dueItems, 'Nothing is due today and nothing is overdue.', (it) => mark(itemRow(it, zoneOf(props, it.property_id) || zone, multi ? nameOf(props, it.property_id) : null), it));
    if (risksMissing) {
      risks.setCount(null);
      replace(risks.body, empty('Payments are not connected to this engine yet, so Lucia has no Stripe records to judge risks from.'));
    } else {
      fill(risks, t.payment_risks, 'No payment risks right now.', (r) => mark(riskRow(r), r));
    }
    fill(arrivals, t.arrivals, 'No arrivals today.', (b) => mark(bookingRow(b, multi ? nameOf(props, b.property_id) : null, 'arrival'), b));
    fill(departures, t.departures, 'No departures today.', (b) => mark(bookingRow(b, multi ? nameOf(props, b.property_id) : null, 'departure'), b));
    fill(inHouse, t.in_house, 'Nobody is in house today.', (b) => mark(bookingRow(b, multi ? nameOf(props, b.property_id) : null, 'stay'), b));

    const overdue = t.items_due.filter((i) => i.due_at && Date.parse(i.due_at) < Date.now()).length;
    replace(
      counts,
      stat('Arrivals', t.arrivals.length, '#arrivals'),
      stat('Departures', t.departures.length, '#departures'),
      stat('In house', t.in_house.length, '#in-house'),
      stat('Due today', t.items_due.length, '#due', overdue ? `${overdue} overdue` : null),
      stat('Payment risks', risksMissing ? '—' : t.payment_risks.length, '#risks'),
    );
    updated.textContent = `Updated ${time(new Date().toISOString())}${t.truncated && t.truncated.length ? ' · some lists were cut short' : ''}`;
    previous = seen;
  }

  load();
  const refresh = debounce(load, 250);
  const unsubscribe = live.subscribe((m) => {
    if (m.type === 'event' || m.type === 'open') refresh();
  });
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    aborted = true;
    refresh.cancel();
    unsubscribe();
    clearInterval(timer);
  };
}

function fill(sec, rows, emptyText, renderRow) {
  sec.setCount(rows.length);
  if (!rows.length) {
    replace(sec.body, empty(emptyText));
    return;
  }
  replace(sec.body, h('ul', { class: 'rows' }, rows.map(renderRow)));
}

function stat(name, value, anchor, extra) {
  const link = h('a', { href: anchor, class: 'stat' }, h('span', { class: 'stat-value' }, String(value)), h('span', { class: 'stat-name' }, name), extra ? h('span', { class: 'stat-extra' }, extra) : null);
  link.addEventListener('click', (ev) => {
    ev.preventDefault(); // an in-page jump must not change the route
    document.querySelector(anchor)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    document.querySelector(`${anchor} h2`)?.focus?.();
  });
  return h('li', null, link);
}

function itemRow(it, zone, propertyName) {
  const overdue = it.due_at && Date.parse(it.due_at) < Date.now();
  const when = it.due_at
    ? h('span', { class: overdue ? 'due overdue' : 'due' }, overdue ? `Overdue · was due ${time(it.due_at, zone)}` : `Due ${time(it.due_at, zone)}`, h('span', { class: 'muted' }, ` (${relative(it.due_at)})`))
    : null;
  return h(
    'li',
    { class: 'row', dataset: { id: it.id } },
    h(
      'div',
      { class: 'row-main' },
      h('a', { href: `#/items/${encodeURIComponent(it.id)}`, class: 'row-title' }, it.title),
      h('div', { class: 'row-meta' }, label(it.kind), propertyName ? ` · ${propertyName}` : '', it.assignee ? ` · ${it.assignee}` : ' · unassigned', it.guest_impacting ? ' · guest-facing' : ''),
      when,
    ),
    h('div', { class: 'row-side' }, it.priority === 'urgent' || it.priority === 'high' ? badge(it.priority) : null, badge(it.state)),
  );
}

function bookingRow(b, propertyName, kind) {
  const name = (b.guest && b.guest.name) || 'Guest';
  const open = b.balance ? b.balance.open_cents : null;
  return h(
    'li',
    { class: 'row', dataset: { id: b.id } },
    h(
      'div',
      { class: 'row-main' },
      h('a', { href: `#/bookings/${encodeURIComponent(b.id)}`, class: 'row-title' }, name),
      h('div', { class: 'row-meta' }, stay(b.check_in, b.check_out), propertyName ? ` · ${propertyName}` : ''),
    ),
    h(
      'div',
      { class: 'row-side' },
      open > 0 ? h('span', { class: 'amount amount-open' }, `${money(open, b.balance.currency)} open`) : open === 0 ? h('span', { class: 'amount muted' }, 'Nothing open') : null,
      kind === 'stay' ? null : badge(b.status),
    ),
  );
}

function riskRow(r) {
  return h(
    'li',
    { class: 'row', dataset: { id: r.booking_id } },
    h(
      'div',
      { class: 'row-main' },
      h('a', { href: `#/bookings/${encodeURIComponent(r.booking_id)}`, class: 'row-title' }, r.guest_name || r.booking_id),
      r.since ? h('div', { class: 'row-meta' }, `Since ${day(String(r.since).slice(0, 10))}`) : null,
      r.detail ? h('div', { class: 'row-detail' }, r.detail) : null,
    ),
    h('div', { class: 'row-side' }, h('span', { class: 'amount amount-open' }, money(r.amount_cents, r.currency)), badge(r.reason, r.reason === 'balance_due_soon' ? 'warn' : 'bad')),
  );
}
