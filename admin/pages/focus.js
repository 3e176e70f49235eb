// focus.js — #/focus: a conversation with the operator-focus endpoint
// (POST /admin/operator-focus, SPEC §8). Every item Lucia cites links to its
// record. The session continues across reloads: its session_id and the
// turns shown are kept in this tab's sessionStorage, and the engine's own
// transcript (GET /api/sessions/{id}) is preferred when it has one.

import { h, replace } from '../lib/dom.js';
import { ApiError, get, post } from '../lib/api.js';
import { label, recordHref, time } from '../lib/format.js';
import { errorText, pageHeader } from '../lib/ui.js';

const SESSION_KEY = 'lucia.focus.session';
const TURNS_KEY = 'lucia.focus.turns';
const TURNS_KEPT = 60;
const MESSAGE_MAX = 2000;

const SUGGESTIONS = [
  'What matters most right now?',
  'Show payment risks I need to handle now.',
  'Show open concierge requests needing confirmation.',
  'Any urgent maintenance issues today?',
];

const ROUTE_NAMES = {
  greeting: 'Greeting',
  human_utility: 'Lucia',
  distress: 'One thing at a time',
  priority_triage: 'What matters now',
  payment_risk: 'Payment risks',
  concierge_readiness: 'Concierge readiness',
  maintenance_focus: 'Maintenance',
  off_topic: 'Outside operations',
};

function savedTurns() {
  try {
    return JSON.parse(sessionStorage.getItem(TURNS_KEY) || '[]');
  } catch {
    return [];
  }
}

function saveTurns(turns) {
  sessionStorage.setItem(TURNS_KEY, JSON.stringify(turns.slice(-TURNS_KEPT)));
}

export default function mount(container) {
  let turns = savedTurns();
  let sessionId = sessionStorage.getItem(SESSION_KEY);
  let unavailable = false;

  const chat = h('div', { class: 'chat', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation with Lucia' });
  const input = h('textarea', { id: 'focus-input', name: 'message', rows: '1', maxlength: String(MESSAGE_MAX), placeholder: 'Ask what matters…', 'aria-label': 'Message to Lucia' });
  const send = h('button', { type: 'submit', class: 'button' }, 'Send');
  const form = h('form', { class: 'focus-form' }, input, send);
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const chips = h(
    'div',
    { class: 'suggestions', 'aria-label': 'Suggested questions' },
    SUGGESTIONS.map((s) => h('button', { type: 'button', class: 'chip', onclick: () => ask(s) }, s)),
  );
  const reset = h('button', { type: 'button', class: 'button secondary small' }, 'New conversation');
  reset.addEventListener('click', () => {
    sessionStorage.removeItem(SESSION_KEY);
    sessionStorage.removeItem(TURNS_KEY);
    sessionId = null;
    turns = [];
    render();
    input.focus();
  });

  replace(container, pageHeader('Focus', 'Ask Lucia what matters; every answer comes from the records.', reset), chat, h('div', { class: 'composer' }, chips, status, form));

  // Grow with what is typed, up to a few lines (CSSOM, allowed by the CSP).
  const fit = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight + 2, 200)}px`;
  };
  input.addEventListener('input', fit);
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ask(input.value);
  });

  async function ask(text) {
    const message = text.trim();
    if (!message || unavailable) return;
    if (message.length > MESSAGE_MAX) {
      replace(status, h('p', { class: 'notice notice-bad', role: 'alert' }, `Keep it under ${MESSAGE_MAX} characters.`));
      return;
    }
    input.value = '';
    fit();
    send.disabled = true;
    turns.push({ who: 'you', text: message, at: new Date().toISOString() });
    render();
    replace(status, h('p', { class: 'loading', role: 'status' }, 'Lucia is looking at the records…'));
    try {
      const body = { message };
      if (sessionId) body.session_id = sessionId;
      const { data } = await post('/admin/operator-focus', body);
      sessionId = data.session_id || sessionId;
      if (sessionId) sessionStorage.setItem(SESSION_KEY, sessionId);
      turns.push({ who: 'lucia', route: data.route, text: data.reply, items: data.items || [], at: data.generated_at, model: data.model });
      replace(status);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
        unavailable = true;
        turns.pop();
        replace(status, h('p', { class: 'notice notice-warn', role: 'status' }, 'The focus assistant is not available on this engine yet. Today, Items and Payments show the same records.'));
      } else {
        turns.pop();
        input.value = message;
        replace(status, h('p', { class: 'notice notice-bad', role: 'alert' }, errorText(err)));
      }
    } finally {
      send.disabled = unavailable;
      input.disabled = unavailable;
      saveTurns(turns);
      render();
      if (!unavailable) input.focus();
    }
  }

  function render() {
    chips.hidden = turns.length > 0; // a way in, not a menu to keep scrolling past
    if (!turns.length) {
      replace(chat, h('p', { class: 'empty' }, 'No conversation yet. Ask anything about today’s operations, or pick a question below.'));
      return;
    }
    replace(chat, turns.map(turnView));
    const last = chat.lastElementChild;
    if (last) last.scrollIntoView({ block: 'nearest' });
  }

  /**
   * The engine's transcript (GET /api/sessions/{id}), for when this tab's
   * copy is missing or behind — it names cited records by id only, so the
   * tab's copy, which has their titles, wins when it is complete.
   */
  async function restore() {
    if (!sessionId) return;
    try {
      const s = await get(`/api/sessions/${encodeURIComponent(sessionId)}`);
      const fromEngine = transcriptTurns(s);
      const mine = turns.filter((t) => t.who === 'lucia').length;
      const theirs = fromEngine.filter((t) => t.who === 'lucia').length;
      if (theirs > mine) {
        turns = fromEngine;
        saveTurns(turns);
        render();
      }
    } catch {
      /* expired, or not ours: keep the tab's copy */
    }
  }

  render();
  restore();
  input.focus();
}

/** Turns from GET /api/sessions/{id}: {transcript: [{message, route, reply, cited_ids, at}]}. */
function transcriptTurns(s) {
  const out = [];
  for (const t of (s && s.transcript) || []) {
    if (t.message) out.push({ who: 'you', text: t.message, at: t.at });
    if (t.reply) {
      const items = (t.cited_ids || []).map((id) => ({ id, title: id.startsWith('bk_') ? 'A booking' : id.startsWith('itm_') ? 'An item' : id }));
      out.push({ who: 'lucia', route: t.route, text: t.reply, items, at: t.at });
    }
  }
  return out;
}

function turnView(t) {
  if (t.who === 'you') {
    return h('div', { class: 'turn turn-you' }, h('p', { class: 'turn-reply' }, t.text));
  }
  return h(
    'div',
    { class: 'turn turn-lucia', dataset: { route: t.route || '' } },
    h('span', { class: 'turn-route' }, ROUTE_NAMES[t.route] || label(t.route || 'Lucia'), t.at ? ` · ${time(t.at)}` : ''),
    h('p', { class: 'turn-reply' }, t.text),
    t.items && t.items.length
      ? h(
          'ul',
          { class: 'cited', 'aria-label': 'Records cited' },
          t.items.map((it) => {
            const href = recordHref(it.id) || recordHref(it.booking_id);
            const title = it.title || it.guest_name || it.id;
            const lead = it.property_name && !title.includes(it.property_name) ? ` (${it.property_name})` : '';
            return h(
              'li',
              null,
              href ? h('a', { href }, title) : h('span', null, title),
              lead ? h('span', { class: 'muted' }, lead) : null,
              it.state && it.type !== 'payment_risk' ? h('span', { class: 'muted' }, ` · ${label(it.state)}`) : null,
              // The reply usually says the reason already; repeat it only when not.
              it.reason && !t.text.includes(it.reason) ? h('span', { class: 'reason' }, it.reason) : null,
            );
          }),
        )
      : null,
  );
}
