// transitions.js — moving an item or a booking through its truth states
// (SPEC §5). Only the legal next states are offered; evidence or a note is
// asked for where the engine requires one; every move is conditional on the
// version the operator is looking at (If-Match), so a record that changed
// meanwhile is shown as a conflict instead of being overwritten.

import { ApiError, call, get, idempotencyKey } from './api.js';
import { h, replace } from './dom.js';
import { dateTime, label } from './format.js';
import { canWrite } from './session.js';
import { errorText } from './ui.js';

export const MOVES = {
  item: {
    requested: ['confirmed', 'cancelled', 'failed'],
    confirmed: ['in_progress', 'cancelled', 'failed'],
    in_progress: ['done', 'cancelled', 'failed'],
  },
  booking: {
    requested: ['confirmed', 'cancelled'],
    confirmed: ['checked_in', 'cancelled'],
    checked_in: ['checked_out'],
  },
};

const VERBS = {
  confirmed: 'Confirm',
  in_progress: 'Start work',
  done: 'Mark done',
  cancelled: 'Cancel',
  failed: 'Mark failed',
  checked_in: 'Check in',
  checked_out: 'Check out',
};

const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** What a move asks for: 'evidence' (required), 'note' (required) or null. */
export function requirement(to) {
  if (to === 'confirmed' || to === 'done') return 'evidence';
  if (to === 'cancelled' || to === 'failed') return 'note';
  return null;
}

const PROMPTS = {
  evidence: {
    label: 'Evidence (required)',
    hint: 'Who confirmed, a confirmation number, or what shows it is done.',
  },
  note: { label: 'Note (required)', hint: 'Why: what happened, for whoever reads this next.' },
  optional: { label: 'Note (optional)', hint: 'Anything the next person should know.' },
};

/**
 * The "Move" panel for record (an item or a booking as the API returns
 * it). onMoved(updated) after a move; onReload() when the operator asks for
 * the current version after a conflict.
 */
export function transitionPanel(entity, record, { onMoved, onReload }) {
  const panel = h('section', { class: 'card transition', 'aria-labelledby': 'move-title' });
  const stateKey = entity === 'item' ? 'state' : 'status';
  const next = MOVES[entity][record[stateKey]] || [];
  const path = `/api/${entity === 'item' ? 'items' : 'bookings'}/${encodeURIComponent(record.id)}/transition`;

  function showChoices() {
    if (next.length === 0) {
      replace(panel, h('h2', { id: 'move-title' }, 'Move'), h('p', { class: 'muted' }, `${capitalise(label(record[stateKey]))} is final: nothing moves from here.`));
      return;
    }
    if (!canWrite()) {
      replace(panel, h('h2', { id: 'move-title' }, 'Move'), h('p', { class: 'muted' }, 'You are signed in as a viewer: you can read but not move records.'));
      return;
    }
    replace(
      panel,
      h('h2', { id: 'move-title' }, 'Move'),
      h('p', { class: 'muted' }, `Now ${label(record[stateKey])}. Next steps allowed:`),
      h(
        'div',
        { class: 'button-row' },
        next.map((to) =>
          h('button', { type: 'button', class: to === 'cancelled' || to === 'failed' ? 'button secondary' : 'button', dataset: { to }, onclick: () => showForm(to) }, VERBS[to] || label(to)),
        ),
      ),
    );
  }

  function showForm(to) {
    const need = requirement(to);
    const prompt = PROMPTS[need || 'optional'];
    const field = need || 'note';
    const text = h('textarea', { id: 'move-text', name: field, rows: '3', maxlength: '2000', required: !!need, 'aria-describedby': 'move-hint' });
    const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
    const submit = h('button', { type: 'submit', class: 'button' }, `${VERBS[to] || label(to)}`);
    const form = h(
      'form',
      { class: 'move-form', novalidate: true },
      h('label', { for: 'move-text' }, prompt.label),
      h('p', { id: 'move-hint', class: 'hint' }, prompt.hint),
      text,
      status,
      h('div', { class: 'button-row' }, submit, h('button', { type: 'button', class: 'button secondary', onclick: showChoices }, 'Back')),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const value = text.value.trim();
      if (need && !value) {
        replace(status, h('p', { class: 'notice notice-bad', role: 'alert' }, `${need === 'evidence' ? 'Evidence' : 'A note'} is required to move this to ${label(to)}.`));
        text.focus();
        return;
      }
      submit.disabled = true;
      replace(status, h('p', { class: 'loading', role: 'status' }, 'Saving…'));
      const body = { to };
      if (value) body[field] = value;
      try {
        const res = await call('POST', path, { body, ifMatch: record.version, idempotencyKey: idempotencyKey() });
        onMoved(res.data);
      } catch (err) {
        submit.disabled = false;
        if (err instanceof ApiError && (err.status === 412 || err.status === 409)) {
          submit.disabled = true; // the same move would only conflict again
          replace(status, await conflictBox(entity, record, to));
        } else {
          replace(status, h('p', { class: 'notice notice-bad', role: 'alert' }, errorText(err)));
        }
      }
    });
    replace(panel, h('h2', { id: 'move-title' }, `${VERBS[to] || label(to)}: ${label(record[stateKey])} → ${label(to)}`), form);
    text.focus();
  }

  /** The record as it is now, beside what the operator tried. */
  async function conflictBox(kind, mine, to) {
    let now = null;
    try {
      now = await get(`/api/${kind === 'item' ? 'items' : 'bookings'}/${encodeURIComponent(mine.id)}`);
    } catch {
      now = null;
    }
    const what = now
      ? `It is now ${label(now[stateKey])} (version ${now.version}, changed ${dateTime(now.updated_at)}), while you were looking at ${label(mine[stateKey])} (version ${mine.version}).`
      : 'It changed while you were looking at it.';
    return h(
      'div',
      { class: 'notice notice-bad conflict', role: 'alert' },
      h('p', null, h('strong', null, 'Not moved: this record changed since you opened it. '), what),
      h('p', null, `Your move to ${label(to)} was not applied, so nothing was overwritten. Check the current version, then decide again.`),
      h('button', { type: 'button', class: 'button', onclick: () => onReload() }, 'Show the current version'),
    );
  }

  showChoices();
  return panel;
}
