// booking.js — #/bookings/<id>: one stay — the guest, the dates, its
// payment truth as Stripe reported it (GET /api/bookings/{id}/payments,
// SPEC §6), its requests and tasks, its history, and the moves it may make.

import { h, replace } from '../lib/dom.js';
import { ApiError, get, getOptional } from '../lib/api.js';
import { properties, nameOf, zoneOf } from '../lib/properties.js';
import { badge, empty, errorBox, facts, notice, section } from '../lib/ui.js';
import { dateTime, day, label, money, stay } from '../lib/format.js';
import { transitionPanel } from '../lib/transitions.js';
import { timeline } from './items.js';
import { paymentTruth } from './payments.js';

export default function mount(container, { id, live }) {
  let stopped = false;
  let shown = null;
  const title = h('h1', { tabindex: '-1' }, 'Booking');
  const head = h('header', { class: 'page-header' }, h('div', { class: 'page-title' }, h('p', { class: 'muted' }, h('a', { href: '#/payments' }, '← Payments')), title));
  const changedSlot = h('div', { 'aria-live': 'polite' });
  const body = h('div', { class: 'record' }, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  replace(container, head, changedSlot, body);

  async function load() {
    replace(changedSlot);
    try {
      const booking = await get(`/api/bookings/${encodeURIComponent(id)}`);
      const [guest, history, items, payments, props] = await Promise.all([
        get(`/api/guests/${encodeURIComponent(booking.guest_id)}`).catch(() => null),
        get(`/api/bookings/${encodeURIComponent(id)}/history`).catch(() => ({ data: [] })),
        get('/api/items', { query: { booking_id: id, limit: 100 } }).catch(() => ({ data: [] })),
        getOptional(`/api/bookings/${encodeURIComponent(id)}/payments`).catch((err) => ({ error: err })),
        properties().catch(() => []),
      ]);
      if (stopped) return;
      shown = booking.version;
      render(booking, guest, history.data || [], items.data || [], payments, props);
    } catch (err) {
      if (stopped) return;
      if (err instanceof ApiError && err.status === 404) {
        replace(body, notice('No such booking, or it belongs to a property you cannot see.', 'warn'));
      } else {
        replace(body, errorBox(err));
      }
    }
  }

  function render(b, guest, history, items, payments, props) {
    const zone = zoneOf(props, b.property_id);
    const name = guest ? guest.name : 'Guest';
    title.textContent = `${name} · ${stay(b.check_in, b.check_out)}`;
    const main = h(
      'section',
      { class: 'card o1', 'aria-label': 'Stay' },
      h('div', { class: 'record-badges' }, badge(b.status)),
      facts([
        ['Property', nameOf(props, b.property_id)],
        ['Guest', name],
        ['Email', guest && guest.email],
        ['Phone', guest && guest.phone],
        ['Total', money(b.total_cents, b.currency)],
        ['Balance due by', b.balance_due_on ? day(b.balance_due_on) : null],
        ['Version', String(b.version)],
        ['Id', h('span', { class: 'mono' }, b.id)],
      ]),
      guest ? h('p', { class: 'button-row' }, h('a', { href: `#/inbox?guest=${encodeURIComponent(guest.id)}`, class: 'button secondary small' }, `Messages with ${name}`)) : null,
    );

    const pay = section('Payments', { id: 'booking-payments', class: 'o3' });
    if (payments.error) replace(pay.body, errorBox(payments.error));
    else if (payments.missing) replace(pay.body, empty('Payments are not connected to this engine yet: there are no Stripe records for this booking to show.'));
    else replace(pay.body, paymentTruth(payments.data, b.currency));

    const its = section('Requests and tasks', { id: 'booking-items', class: 'o4' });
    its.setCount(items.length);
    replace(
      its.body,
      items.length
        ? h(
            'ul',
            { class: 'rows' },
            items.map((it) =>
              h(
                'li',
                { class: 'row' },
                h('div', { class: 'row-main' }, h('a', { class: 'row-title', href: `#/items/${encodeURIComponent(it.id)}` }, it.title), h('div', { class: 'row-meta' }, label(it.kind), it.due_at ? ` · due ${dateTime(it.due_at, zone)}` : '')),
                h('div', { class: 'row-side' }, badge(it.state)),
              ),
            ),
          )
        : empty('No requests or tasks for this stay.'),
    );

    const hist = section('History', { id: 'history', class: 'o5' });
    hist.setCount(history.length);
    replace(hist.body, history.length ? timeline(history, zone) : empty(`No moves yet: ${label(b.status)} since it was created.`));

    const move = transitionPanel('booking', b, {
      onMoved: (moved) => {
        shown = moved ? moved.version : shown;
        load();
      },
      onReload: () => load(),
    });
    move.classList.add('o2');
    replace(body, h('div', { class: 'column' }, main, pay, its), h('div', { class: 'column' }, move, hist));
  }

  load();
  const unsubscribe = live.subscribe((m) => {
    if (m.type !== 'event') return;
    const e = m.event;
    if (e.entity_id === id) {
      const v = e.data && e.data.version;
      if (shown !== null && v !== undefined && v <= shown) return;
      replace(changedSlot, notice('This booking just changed.', 'warn', h('button', { type: 'button', class: 'button small', onclick: () => load() }, 'Show the current version')));
    }
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}
