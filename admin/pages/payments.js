// payments.js — #/payments: the payment risks to handle now
// (GET /api/payments/risks, most severe first) and each current or coming
// stay with its payment truth as Stripe reported it
// (GET /api/bookings/{id}/payments). "Paid" here only ever means Stripe said
// so; until payments are connected the page says that instead.

import { debounce, h, replace } from '../lib/dom.js';
import { get, getAll, getOptional } from '../lib/api.js';
import { properties, nameOf } from '../lib/properties.js';
import { badge, empty, errorBox, pageHeader, section } from '../lib/ui.js';
import { dateTime, day, label, money, stay } from '../lib/format.js';

const WINDOW_BEFORE_DAYS = 30;
const WINDOW_AFTER_DAYS = 90;
const PARALLEL = 4;

function ymd(offsetDays) {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return d.toISOString().slice(0, 10);
}

export default function mount(container, { live }) {
  let stopped = false;
  const risks = section('Payment risks', { id: 'risks', hint: 'Failed payments, overdue or soon-due balances, open disputes, pending refunds, overpayments.' });
  const stays = section('Stays and what Stripe says', { id: 'stays', hint: `Stays arriving from ${WINDOW_BEFORE_DAYS} days ago to ${WINDOW_AFTER_DAYS} days ahead.` });
  replace(container, pageHeader('Payments', 'Payment truth per booking, as Stripe reported it.'), risks, stays);

  async function loadRisks() {
    try {
      const r = await getOptional('/api/payments/risks');
      if (stopped) return;
      if (r.missing) {
        risks.setCount(null);
        replace(risks.body, empty('Payments are not connected to this engine yet, so Lucia has no Stripe records to judge risks from.'));
        return;
      }
      const list = Array.isArray(r.data) ? r.data : r.data.data || [];
      risks.setCount(list.length);
      replace(risks.body, list.length ? riskTable(list) : empty('No payment risks right now.'));
    } catch (err) {
      if (!stopped) replace(risks.body, errorBox(err));
    }
  }

  async function loadStays() {
    try {
      const [bookings, guests, props] = await Promise.all([
        getAll('/api/bookings', { arriving_from: ymd(-WINDOW_BEFORE_DAYS), arriving_to: ymd(WINDOW_AFTER_DAYS) }, { maxPages: 2 }),
        getAll('/api/guests', {}, { maxPages: 4 }).catch(() => ({ rows: [] })),
        properties().catch(() => []),
      ]);
      if (stopped) return;
      const names = new Map(guests.rows.map((g) => [g.id, g.name]));
      const rows = bookings.rows
        .filter((b) => b.status !== 'cancelled')
        .sort((a, b) => a.check_in.localeCompare(b.check_in));
      stays.setCount(rows.length);
      if (!rows.length) {
        replace(stays.body, empty('No stays in this window.'));
        return;
      }
      const cells = new Map();
      const table = h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          null,
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Guest'), h('th', { scope: 'col' }, 'Stay'), h('th', { scope: 'col', class: 'num' }, 'Total'), h('th', { scope: 'col', class: 'num' }, 'Paid'), h('th', { scope: 'col' }, 'Payment'))),
          h(
            'tbody',
            null,
            rows.map((b) => {
              const paid = h('td', { class: 'num' }, '…');
              const status = h('td', null, h('span', { class: 'muted' }, '…'));
              cells.set(b.id, { paid, status, booking: b });
              return h(
                'tr',
                { dataset: { id: b.id } },
                h('td', null, h('a', { href: `#/bookings/${encodeURIComponent(b.id)}` }, names.get(b.guest_id) || 'Guest'), props.length > 1 ? h('div', { class: 'row-meta' }, nameOf(props, b.property_id)) : null),
                h('td', null, stay(b.check_in, b.check_out)),
                h('td', { class: 'num' }, money(b.total_cents, b.currency)),
                paid,
                status,
              );
            }),
          ),
        ),
      );
      replace(stays.body, table);
      fillTruth(cells);
    } catch (err) {
      if (!stopped) replace(stays.body, errorBox(err));
    }
  }

  /** Payment truth per row, a few requests at a time. */
  async function fillTruth(cells) {
    const queue = [...cells.values()];
    let missing = false;
    const worker = async () => {
      while (queue.length && !stopped && !missing) {
        const cell = queue.shift();
        const r = await getOptional(`/api/bookings/${encodeURIComponent(cell.booking.id)}/payments`).catch(() => null);
        if (stopped) return;
        if (r && r.missing) {
          missing = true;
          break;
        }
        if (!r) {
          replace(cell.paid, '—');
          replace(cell.status, h('span', { class: 'muted' }, 'could not load'));
          continue;
        }
        replace(cell.paid, money(r.data.paid_cents, r.data.currency || cell.booking.currency));
        replace(cell.status, badge(r.data.status));
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    if (missing && !stopped) {
      for (const cell of cells.values()) {
        replace(cell.paid, '—');
        replace(cell.status, h('span', { class: 'muted' }, 'not connected'));
      }
    }
  }

  loadRisks();
  loadStays();
  const refresh = debounce(() => {
    loadRisks();
    loadStays();
  }, 600);
  const unsubscribe = live.subscribe((m) => {
    if (m.type === 'open' || (m.type === 'event' && m.event.entity_type !== 'item')) refresh();
  });
  return () => {
    stopped = true;
    refresh.cancel();
    unsubscribe();
  };
}

function riskTable(list) {
  return h(
    'ul',
    { class: 'rows' },
    list.map((r) =>
      h(
        'li',
        { class: 'row', dataset: { id: r.booking_id } },
        h(
          'div',
          { class: 'row-main' },
          h('a', { class: 'row-title', href: `#/bookings/${encodeURIComponent(r.booking_id)}` }, r.guest_name || r.booking_id),
          r.since ? h('div', { class: 'row-meta' }, `Since ${day(String(r.since).slice(0, 10))}`) : null,
          r.detail ? h('div', { class: 'row-detail' }, r.detail) : null,
        ),
        h('div', { class: 'row-side' }, h('span', { class: 'amount amount-open' }, money(r.amount_cents, r.currency)), badge(r.reason, r.reason === 'balance_due_soon' || r.reason === 'overpaid' ? 'warn' : 'bad')),
      ),
    ),
  );
}

/** One booking's payment truth (the body of GET /api/bookings/{id}/payments). */
export function paymentTruth(p, currency) {
  const cur = p.currency || currency;
  const records = p.records || [];
  const risks = p.risks || [];
  const open = p.open_cents ?? (p.total_cents !== undefined && p.paid_cents !== undefined ? Math.max(0, p.total_cents - p.paid_cents) : null);
  return h(
    'div',
    { class: 'payment-truth' },
    h('div', { class: 'record-badges' }, badge(p.status)),
    h(
      'dl',
      { class: 'facts' },
      [
        ['Total', money(p.total_cents, cur)],
        ['Paid (received minus refunded)', money(p.paid_cents, cur)],
        ['Refunded', money(p.refunded_cents || 0, cur)],
        ['Open', open === null ? '—' : money(open, cur)],
      ].map(([k, v]) => h('div', { class: 'fact' }, h('dt', null, k), h('dd', null, v))),
    ),
    risks.length ? h('div', null, h('h3', null, 'Risks'), riskTable(risks.map((r) => ({ ...r, guest_name: r.guest_name || label(r.reason) })))) : h('p', { class: 'muted' }, 'No payment risks for this booking.'),
    records.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h('h3', null, 'Stripe records'),
          h(
            'table',
            null,
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Object'), h('th', { scope: 'col', class: 'num' }, 'Amount'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Updated'))),
            h(
              'tbody',
              null,
              records.map((r) =>
                h(
                  'tr',
                  null,
                  h('td', null, label(r.object || r.type || ''), h('div', { class: 'mono muted' }, r.id || '')),
                  h('td', { class: 'num' }, money(r.amount ?? r.amount_cents, r.currency || cur), r.amount_received ? h('div', { class: 'muted' }, `received ${money(r.amount_received, r.currency || cur)}`) : null, r.amount_refunded ? h('div', { class: 'muted' }, `refunded ${money(r.amount_refunded, r.currency || cur)}`) : null),
                  h('td', null, badge(r.status || 'unknown'), r.failure_message ? h('div', { class: 'row-detail' }, r.failure_message) : null),
                  h('td', null, r.status_at || r.updated_at ? dateTime(r.status_at || r.updated_at) : '—'),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'Stripe has reported nothing for this booking.'),
  );
}
