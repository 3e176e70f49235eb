// ui.js — the few building blocks every page shares: a page heading, a
// section, an honest empty state, state badges, error and notice boxes.

import { h } from './dom.js';
import { label } from './format.js';
import { ApiError } from './api.js';

/** The page's h1 (focusable, so the router can move focus to it). */
export function pageHeader(title, subtitle, ...actions) {
  return h(
    'header',
    { class: 'page-header' },
    h('div', { class: 'page-title' }, h('h1', { tabindex: '-1' }, title), subtitle ? h('p', { class: 'muted' }, subtitle) : null),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null,
  );
}

/** A titled card; body may be filled later (it is returned as .body). */
export function section(title, opts = {}) {
  const count = h('span', { class: 'count', 'aria-hidden': 'true' });
  const body = h('div', { class: 'section-body' }, loading());
  const el = h(
    'section',
    { class: `card ${opts.class || ''}`, 'aria-labelledby': opts.id ? `${opts.id}-title` : null, id: opts.id },
    h('h2', { id: opts.id ? `${opts.id}-title` : null }, title, count),
    opts.hint ? h('p', { class: 'hint' }, opts.hint) : null,
    body,
  );
  el.body = body;
  el.setCount = (n) => {
    count.textContent = n === null || n === undefined ? '' : String(n);
  };
  return el;
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status' }, text);
}

export function empty(text) {
  return h('p', { class: 'empty' }, text);
}

const BADGE_TONES = {
  requested: 'warn',
  confirmed: 'info',
  in_progress: 'info',
  done: 'ok',
  cancelled: 'quiet',
  failed: 'bad',
  checked_in: 'ok',
  checked_out: 'quiet',
  urgent: 'bad',
  high: 'warn',
  normal: 'quiet',
  low: 'quiet',
  paid: 'ok',
  overpaid: 'warn',
  partially_paid: 'warn',
  unpaid: 'warn',
  refunded: 'quiet',
  disputed: 'bad',
  sent: 'ok',
  delivered: 'ok',
  queued: 'quiet',
  sending: 'info',
  received: 'quiet',
  ok: 'ok',
  tested: 'ok',
  configured: 'info',
  implemented: 'quiet',
  deferred: 'warn',
  down: 'bad',
  degraded: 'warn',
};

export function badge(value, tone) {
  const t = tone || BADGE_TONES[value] || 'quiet';
  return h('span', { class: `badge badge-${t}` }, label(value));
}

/** What a failed call means to a person. */
export function errorText(err) {
  if (err instanceof ApiError) {
    if (err.status === 0) return err.message;
    if (err.status === 403) return 'Your role may not do this.';
    if (err.status === 503) return 'Lucia is briefly unavailable (a dependency is down). Nothing was written; try again.';
    if (err.status === 429) return 'Too many requests just now; wait a moment and try again.';
    return err.message || `The engine answered ${err.status}.`;
  }
  return 'Something went wrong in this page. Reload to try again.';
}

export function errorBox(err) {
  return h('p', { class: 'notice notice-bad', role: 'alert' }, errorText(err));
}

export function notice(text, tone = 'info', ...extra) {
  return h('div', { class: `notice notice-${tone}`, role: tone === 'bad' ? 'alert' : 'status' }, h('p', null, text), extra);
}

/** A definition list from [term, value] pairs, skipping empty values. */
export function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs
      .filter(([, v]) => v !== null && v !== undefined && v !== '')
      .map(([k, v]) => h('div', { class: 'fact' }, h('dt', null, k), h('dd', null, v))),
  );
}
