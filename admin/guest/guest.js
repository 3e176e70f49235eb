// guest.js — the guest chat page at /guest (SPEC §8b): sign in with a code
// sent by email, then talk to Lucia about the stay. The markup is in
// index.html; this file only switches its three steps, fills them in with
// textContent (dom.js never uses innerHTML, so nothing a guest or an
// operator wrote can become markup) and talks to /guest/* (api.js).
//
// Where the guest token lives: localStorage, on purpose, unlike the admin
// (which keeps an operator token in sessionStorage). A guest signs in on
// their own phone with a code from their inbox, and phones drop background
// tabs all the time; with sessionStorage every trip to the mail app or the
// camera would cost a new code. The token only opens this guest's own
// stay, expires after 7 days (checked here too), ends at "Sign out" (the
// engine revokes it) and can be revoked by the operator at any time. The
// page never shows it, never puts it in a URL and never sends it anywhere
// but /guest/*. The conversation shown stays in this tab only
// (sessionStorage), so closing the tab leaves no transcript behind.

import { h, replace } from '../lib/dom.js';
import { day, stay as stayText } from '../lib/format.js';
import { GuestError, call, plainError, sentence } from './api.js';

const TOKEN_KEY = 'lucia.guest.token';
const EXPIRES_KEY = 'lucia.guest.expires_at';
const CHAT_SESSION_KEY = 'lucia.guest.session_id';
const PENDING_EMAIL_KEY = 'lucia.guest.pending_email'; // sessionStorage
const LOG_KEY = 'lucia.guest.log'; // sessionStorage
const LOG_KEEP = 60; // entries kept for a reload; older ones just scroll away
const MESSAGE_CHARS_MAX = 2000;

const SENT_TEXT =
  'If this email belongs to a guest with a current or upcoming stay, we’ve sent a code. It works for 10 minutes.';
const SIGNED_OUT_401 = 'Your sign-in has ended (it expired, was signed out or was revoked). Sign in again with a new code.';

/** The state label of an item: the record's state, never a nicer one. */
const STATES = {
  requested: ['Requested — not yet confirmed', 'warn'],
  confirmed: ['Confirmed', 'ok'],
  in_progress: ['In progress', 'info'],
  done: ['Done', 'ok'],
  cancelled: ['Cancelled', 'quiet'],
  failed: ['Failed', 'bad'],
};

const $ = (id) => document.getElementById(id);

// --- storage ---------------------------------------------------------------------

const store = {
  token() {
    const token = localStorage.getItem(TOKEN_KEY);
    const expires = Date.parse(localStorage.getItem(EXPIRES_KEY) || '');
    if (token && !Number.isNaN(expires) && expires <= Date.now()) {
      store.forget();
      return null;
    }
    return token;
  },
  keep(token, expiresAt) {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(EXPIRES_KEY, expiresAt || '');
    localStorage.removeItem(CHAT_SESSION_KEY);
    sessionStorage.removeItem(LOG_KEY);
  },
  forget() {
    for (const key of [TOKEN_KEY, EXPIRES_KEY, CHAT_SESSION_KEY]) localStorage.removeItem(key);
    sessionStorage.removeItem(LOG_KEY);
  },
  chatSession: () => localStorage.getItem(CHAT_SESSION_KEY),
  setChatSession(id) {
    if (typeof id === 'string' && id) localStorage.setItem(CHAT_SESSION_KEY, id);
  },
  log() {
    try {
      const entries = JSON.parse(sessionStorage.getItem(LOG_KEY) || '[]');
      return Array.isArray(entries) ? entries : [];
    } catch {
      return [];
    }
  },
  addLog(entry) {
    const entries = store.log();
    entries.push(entry);
    try {
      sessionStorage.setItem(LOG_KEY, JSON.stringify(entries.slice(-LOG_KEEP)));
    } catch {
      /* storage full or disabled: the conversation still shows */
    }
  },
};

// --- steps -------------------------------------------------------------------------

const steps = ['step-email', 'step-code', 'step-chat'];

function show(step, { focus } = {}) {
  for (const id of steps) $(id).hidden = id !== step;
  $('who').hidden = step !== 'step-chat';
  document.body.dataset.step = step.replace('step-', '');
  const target = focus ? $(focus) : $(step).querySelector('h1');
  if (target) target.focus({ preventScroll: false });
}

function status(id, text, tone = 'bad') {
  const el = $(id);
  if (!text) {
    replace(el);
    return;
  }
  replace(el, h('p', { class: `notice notice-${tone}`, role: tone === 'bad' ? 'alert' : 'status' }, text));
}

function busy(button, on, label) {
  button.disabled = on;
  if (label) button.textContent = label;
}

// --- signing in ----------------------------------------------------------------------

function showEmail(notice, tone = 'info') {
  $('email').value = sessionStorage.getItem(PENDING_EMAIL_KEY) || $('email').value;
  status('email-notice', notice, tone);
  status('email-status', null);
  show('step-email');
}

function showCode(email) {
  $('code-email').textContent = email;
  $('code').value = '';
  status('code-status', null);
  show('step-code', { focus: 'code' });
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

async function requestCode(email, statusId, button, idleLabel) {
  busy(button, true, 'Sending…');
  try {
    await call('POST', '/guest/session', { body: { email } });
    sessionStorage.setItem(PENDING_EMAIL_KEY, email);
    return true;
  } catch (err) {
    status(statusId, err instanceof GuestError && err.code === 'invalid_field' ? 'Check the email address: it does not look complete.' : plainError(err));
    return false;
  } finally {
    busy(button, false, idleLabel);
  }
}

async function onEmailSubmit(ev) {
  ev.preventDefault();
  const input = $('email');
  const email = input.value.trim();
  status('email-notice', null);
  if (!EMAIL_RE.test(email)) {
    status('email-status', 'Enter the email address you booked with, like name@example.com.');
    input.focus();
    return;
  }
  status('email-status', null);
  if (await requestCode(email, 'email-status', $('email-submit'), 'Send me a code')) showCode(email);
}

async function onCodeSubmit(ev) {
  ev.preventDefault();
  const input = $('code');
  const code = input.value.replace(/\s+/g, '');
  const email = sessionStorage.getItem(PENDING_EMAIL_KEY);
  if (!email) {
    showEmail('Enter your email again to get a code.');
    return;
  }
  if (!/^\d{6}$/.test(code)) {
    status('code-status', 'The code is six digits, like 123456.');
    input.focus();
    return;
  }
  busy($('code-submit'), true, 'Checking…');
  try {
    const r = await call('POST', '/guest/session/verify', { body: { email, code } });
    if (!r || typeof r.token !== 'string') throw new GuestError(500, 'bad_reply', 'no token');
    store.keep(r.token, r.expires_at);
    sessionStorage.removeItem(PENDING_EMAIL_KEY);
    input.value = '';
    status('code-status', null);
    await openChat(r.guest);
  } catch (err) {
    const text =
      err instanceof GuestError && err.status === 401
        ? sentence(err.message) || 'That code is not valid; ask for a new one.'
        : plainError(err);
    status('code-status', text);
    input.select();
  } finally {
    busy($('code-submit'), false, 'Sign in');
  }
}

async function onResend() {
  const email = sessionStorage.getItem(PENDING_EMAIL_KEY);
  if (!email) {
    showEmail('Enter your email again to get a code.');
    return;
  }
  status('code-status', null);
  if (await requestCode(email, 'code-status', $('code-resend'), 'Send a new code')) {
    status('code-status', 'A new code is on its way if this email has a stay with us. Only the newest code works.', 'info');
    $('code').value = '';
    $('code').focus();
  }
}

/** Back to the first step after a 401 or a sign-out, with why. */
function signedOut(notice, tone = 'info') {
  store.forget();
  replace($('log'));
  replace($('stay-body'));
  $('who-name').textContent = '';
  showEmail(notice, tone);
}

async function onSignOut() {
  const token = store.token();
  busy($('sign-out'), true);
  let notice = 'You are signed out. Sign in again with a new code whenever you like.';
  try {
    if (token) await call('DELETE', '/guest/session', { token });
  } catch (err) {
    // A 401 means the engine already forgot the token: signed out either way.
    if (!(err instanceof GuestError && err.status === 401)) {
      notice = 'Signed out on this phone. Lucia could not be reached to end the sign-in there; it ends by itself within 7 days.';
    }
  } finally {
    busy($('sign-out'), false);
  }
  signedOut(notice);
}

// --- the stay ------------------------------------------------------------------------

const BOOKING_STATES = {
  requested: 'Requested — not yet confirmed',
  confirmed: 'Confirmed',
  checked_in: 'Checked in',
  checked_out: 'Checked out',
  cancelled: 'Cancelled',
};

function todayYmd() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The stays worth showing: current and upcoming first, in date order. */
function currentStays(bookings) {
  const today = todayYmd();
  return (bookings || [])
    .filter((b) => b && b.status !== 'cancelled' && b.status !== 'checked_out' && String(b.check_out) >= today)
    .sort((a, b) => String(a.check_in).localeCompare(String(b.check_in)));
}

function renderStay(me) {
  const name = (me.guest && me.guest.name) || '';
  $('who-name').textContent = name;
  const stays = currentStays(me.bookings);
  const first = name.split(/\s+/)[0];
  const parts = [h('p', { class: 'g-hello' }, first ? `Hello, ${first}.` : 'Hello.')];
  if (stays.length) {
    const b = stays[0];
    parts.push(
      h(
        'p',
        { class: 'g-stay-line' },
        h('strong', null, b.property_name || 'Your stay'),
        h('span', { class: 'g-stay-dates' }, stayText(b.check_in, b.check_out)),
        h('span', { class: 'badge badge-quiet g-stay-state' }, BOOKING_STATES[b.status] || String(b.status || '').replace(/_/g, ' ')),
      ),
    );
    if (stays.length > 1) {
      const more = stays.length - 1;
      parts.push(h('p', { class: 'hint' }, `And ${more} more stay${more === 1 ? '' : 's'}, the next from ${day(stays[1].check_in)}.`));
    }
  } else {
    parts.push(h('p', { class: 'hint' }, 'We found no current or upcoming stay for you. Lucia can still answer about past ones.'));
  }
  replace($('stay-body'), parts);
}

async function loadMe(token) {
  try {
    const me = await call('GET', '/guest/me', { token });
    renderStay(me || {});
    return true;
  } catch (err) {
    if (err instanceof GuestError && err.status === 401) {
      signedOut(SIGNED_OUT_401, 'warn');
      return false;
    }
    replace($('stay-body'), h('p', { class: 'notice notice-warn', role: 'status' }, `Your stay could not be loaded. ${plainError(err)}`));
    return true;
  }
}

async function openChat(guest) {
  const token = store.token();
  if (!token) {
    showEmail();
    return;
  }
  if (guest && guest.name) $('who-name').textContent = guest.name;
  replace($('log'), introBubble());
  for (const entry of store.log()) $('log').append(entry.who === 'guest' ? guestBubble(entry.text) : luciaBubble(entry));
  status('chat-status', null);
  show('step-chat');
  if (await loadMe(token)) scrollToEnd();
}

// --- the conversation --------------------------------------------------------------------

function itemCard(item) {
  const [text, tone] = STATES[item.state] || [String(item.state || 'unknown').replace(/_/g, ' '), 'quiet'];
  return h(
    'li',
    { class: `g-item g-item-${tone}`, dataset: { id: item.id || '', state: item.state || '' } },
    h('span', { class: 'g-item-title' }, item.title || 'Request'),
    h('span', { class: `badge badge-${tone} g-item-state` }, text),
  );
}

function clock(iso) {
  const t = Date.parse(iso || '');
  if (Number.isNaN(t)) return null;
  return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(new Date(t));
}

function guestBubble(text) {
  return h('li', { class: 'g-msg g-msg-guest' }, h('span', { class: 'g-visually-hidden' }, 'You: '), h('p', { class: 'g-text' }, text));
}

function luciaBubble(entry) {
  const items = Array.isArray(entry.items) ? entry.items.filter((i) => i && (!i.type || i.type === 'item')) : [];
  const at = clock(entry.at);
  return h(
    'li',
    { class: 'g-msg g-msg-lucia', dataset: { route: entry.route || '' } },
    h('span', { class: 'g-visually-hidden' }, 'Lucia: '),
    h('p', { class: 'g-text' }, entry.text),
    items.length ? h('ul', { class: 'g-items', 'aria-label': 'Your requests in this reply' }, items.map(itemCard)) : null,
    at ? h('span', { class: 'g-at' }, at) : null,
  );
}

/** What Lucia can do, said once at the top; not a reply and about no record. */
function introBubble() {
  return h(
    'li',
    { class: 'g-msg g-msg-lucia g-intro' },
    h('span', { class: 'g-visually-hidden' }, 'Lucia: '),
    h(
      'p',
      { class: 'g-text' },
      'Ask me about your stay: your dates and check-in, what you still owe, or something you would like the team to arrange. I pass requests to the team and tell you their real state: nothing is confirmed until they confirm it.',
    ),
  );
}

function typingBubble() {
  return h('li', { class: 'g-msg g-msg-lucia g-typing', id: 'typing' }, h('p', { class: 'g-text' }, 'Lucia is writing…'));
}

/** The newest message in view, just above the suggestions and the composer. */
function scrollToEnd() {
  const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  window.scrollTo({ top: document.documentElement.scrollHeight, behavior: smooth ? 'smooth' : 'auto' });
}

let sending = false;

async function send(text) {
  const message = text.trim();
  if (sending || !message) return;
  if (message.length > MESSAGE_CHARS_MAX) {
    status('chat-status', `That is longer than Lucia reads at once (${MESSAGE_CHARS_MAX} characters). Split it in two.`);
    return;
  }
  const token = store.token();
  if (!token) {
    signedOut(SIGNED_OUT_401, 'warn');
    return;
  }
  sending = true;
  status('chat-status', null);
  const input = $('message');
  input.value = '';
  const mine = guestBubble(message);
  const typing = typingBubble();
  $('log').append(mine, typing);
  busy($('send'), true);
  $('suggest').hidden = true;
  scrollToEnd();
  const body = { message };
  const session = store.chatSession();
  if (session) body.session_id = session;
  try {
    const r = await call('POST', '/guest/chat', { body, token });
    typing.remove();
    store.setChatSession(r.session_id);
    const entry = { who: 'lucia', text: String(r.reply || ''), route: r.route, items: r.items || [], at: r.generated_at };
    store.addLog({ who: 'guest', text: message });
    store.addLog(entry);
    $('log').append(luciaBubble(entry));
    // Announced once, politely, the way a person would hear it.
    $('announce').textContent = '';
    $('announce').textContent = `Lucia: ${entry.text}`;
  } catch (err) {
    typing.remove();
    mine.remove();
    if (err instanceof GuestError && err.status === 401) {
      signedOut(SIGNED_OUT_401, 'warn');
      return;
    }
    if (!input.value) input.value = message; // nothing was lost: send it again
    status('chat-status', `Not sent. ${plainError(err)}`);
  } finally {
    sending = false;
    busy($('send'), false);
    $('suggest').hidden = false;
    scrollToEnd();
  }
}

function onChatSubmit(ev) {
  ev.preventDefault();
  send($('message').value);
}

function onMessageKey(ev) {
  // Enter sends, Shift+Enter starts a new line (as in most chats); an IME
  // composing a character keeps its Enter.
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    send($('message').value);
  }
}

// --- start ---------------------------------------------------------------------------------

function start() {
  const announce = h('div', { id: 'announce', class: 'g-visually-hidden', 'aria-live': 'polite', role: 'status' });
  document.body.append(announce);
  $('email-form').addEventListener('submit', onEmailSubmit);
  $('code-form').addEventListener('submit', onCodeSubmit);
  $('code-resend').addEventListener('click', onResend);
  $('code-back').addEventListener('click', () => {
    sessionStorage.removeItem(PENDING_EMAIL_KEY);
    showEmail();
    $('email').focus();
  });
  $('code').addEventListener('input', (ev) => {
    const digits = ev.target.value.replace(/\D+/g, '').slice(0, 6);
    if (digits !== ev.target.value) ev.target.value = digits;
  });
  $('sign-out').addEventListener('click', onSignOut);
  $('chat-form').addEventListener('submit', onChatSubmit);
  $('message').addEventListener('keydown', onMessageKey);
  for (const chip of $('suggest').querySelectorAll('button')) chip.addEventListener('click', () => send(chip.textContent));

  if (store.token()) {
    openChat(null);
  } else if (sessionStorage.getItem(PENDING_EMAIL_KEY)) {
    showCode(sessionStorage.getItem(PENDING_EMAIL_KEY));
  } else {
    showEmail();
  }
}

start();
