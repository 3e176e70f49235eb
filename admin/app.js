// app.js — the admin's entry: the sign-in gate, the shell (header, live
// status, navigation), the hash router and the one change stream every page
// listens to. Routes live in the hash (#/items/itm_…) so the engine serves
// one page and nothing about a record ever travels to the server in a path
// it did not ask for. Pages are modules under pages/ exporting
// mount(main, ctx) → optional cleanup.

import { h, replace } from './lib/dom.js';
import * as session from './lib/session.js';
import { onUnauthorized } from './lib/api.js';
import { LiveStream } from './lib/stream.js';
import { forget as forgetProperties } from './lib/properties.js';

const NAV = [
  { path: 'today', title: 'Today' },
  { path: 'focus', title: 'Focus' },
  { path: 'items', title: 'Items' },
  { path: 'payments', title: 'Payments' },
  { path: 'inbox', title: 'Inbox' },
  { path: 'audit', title: 'Audit' },
  { path: 'status', title: 'Status' },
];

const PAGES = {
  today: () => import('./pages/today.js'),
  focus: () => import('./pages/focus.js'),
  items: () => import('./pages/items.js'),
  bookings: () => import('./pages/booking.js'),
  payments: () => import('./pages/payments.js'),
  inbox: () => import('./pages/inbox.js'),
  audit: () => import('./pages/audit.js'),
  status: () => import('./pages/status.js'),
};

const root = document.getElementById('app');
const listeners = new Set();
let stream = null;
let cleanup = null;
let shell = null;
let routeSerial = 0;

/** The live feed pages subscribe to: fn({type: 'event', event} | {type: 'open'}). */
export const live = {
  subscribe(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
  status: () => (stream ? stream.status : 'stopped'),
  lastSeq: () => (stream ? stream.lastId : null),
};

function publish(message) {
  for (const fn of [...listeners]) {
    try {
      fn(message);
    } catch (err) {
      console.error(err);
    }
  }
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const decode = (part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part; // a malformed escape: let the page say it does not exist
    }
  };
  const parts = path.split('/').filter(Boolean).map(decode);
  return { page: parts[0] || 'today', id: parts[1] || null, params: new URLSearchParams(query) };
}

// --- signed out --------------------------------------------------------

async function showSignIn() {
  stopLive();
  shell = null;
  runCleanup();
  document.title = 'Sign in · Lucia';
  const { default: mount } = await import('./pages/signin.js');
  const main = h('main', { id: 'main', class: 'signin-main' });
  replace(root, main);
  mount(main, { notice: session.takeNotice(), onSignedIn: start });
}

function signOut(notice) {
  session.signOut(notice);
  forgetProperties();
  showSignIn();
}

onUnauthorized(() => {
  if (session.token()) signOut('Your session ended or the token was refused. Sign in again.');
});

// --- signed in ---------------------------------------------------------

const LIVE_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  stopped: 'Offline',
};

function buildShell() {
  const who = session.identity();
  const liveEl = h('span', { class: 'live live-connecting', role: 'status', 'aria-live': 'polite' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'live-text' }, LIVE_TEXT.connecting));
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': 'Sections' },
    h('ul', null, NAV.map((n) => h('li', null, h('a', { href: `#/${n.path}`, dataset: { page: n.path } }, n.title)))),
  );
  const main = h('main', { id: 'main', tabindex: '-1' });
  const skip = h('a', { class: 'skip', href: '#main-content' }, 'Skip to content');
  skip.addEventListener('click', (ev) => {
    ev.preventDefault();
    main.focus();
  });
  const signOutButton = h('button', { type: 'button', class: 'button secondary small', id: 'sign-out' }, 'Sign out');
  signOutButton.addEventListener('click', () => signOut('You are signed out. The token is gone from this tab.'));
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '#/today' }, h('img', { src: '/static/icon.svg', alt: '', width: '28', height: '28' }), h('span', null, 'Lucia')),
    liveEl,
    h('div', { class: 'who' }, h('span', { class: 'who-name', title: who.sub }, who.kind === 'service' ? 'Service key' : who.sub), h('span', { class: 'who-role' }, who.role), signOutButton),
  );
  replace(root, skip, header, h('div', { class: 'frame' }, nav, main));
  return { main, nav, liveEl };
}

function setLiveStatus(status) {
  if (!shell) return;
  shell.liveEl.className = `live live-${status}`;
  shell.liveEl.querySelector('.live-text').textContent = LIVE_TEXT[status] || status;
  publish({ type: 'status', status });
}

function startLive() {
  stopLive();
  stream = new LiveStream(session.token, {
    event: (event) => publish({ type: 'event', event }),
    open: () => publish({ type: 'open' }),
    status: setLiveStatus,
    unauthorized: () => signOut('Your session ended or the token was refused. Sign in again.'),
  });
  stream.start();
}

function stopLive() {
  if (stream) stream.stop();
  stream = null;
}

function runCleanup() {
  if (typeof cleanup === 'function') {
    try {
      cleanup();
    } catch (err) {
      console.error(err);
    }
  }
  cleanup = null;
}

async function route({ focus = false } = {}) {
  if (!session.token()) {
    showSignIn();
    return;
  }
  if (!shell) {
    shell = buildShell();
    startLive();
  }
  const serial = ++routeSerial;
  const { page, id, params } = parseHash();
  const loader = PAGES[page];
  runCleanup();
  const navPage = page === 'bookings' ? 'payments' : page;
  for (const a of shell.nav.querySelectorAll('a')) {
    if (a.dataset.page === navPage) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const container = h('div', { class: 'page', id: 'main-content' });
  replace(shell.main, container);
  if (!loader) {
    document.title = 'Not found · Lucia';
    replace(container, h('h1', { tabindex: '-1' }, 'Nothing here'), h('p', null, 'That page does not exist. ', h('a', { href: '#/today' }, 'Go to Today.')));
    return;
  }
  const title = (NAV.find((n) => n.path === navPage) || { title: 'Lucia' }).title;
  document.title = `${title} · Lucia`;
  const { default: mount } = await loader();
  if (serial !== routeSerial) return; // the operator moved on meanwhile
  cleanup = mount(container, { id, params, live, navigate: (hash) => (location.hash = hash) }) || null;
  if (cleanup instanceof Promise) cleanup = await cleanup;
  if (serial !== routeSerial) {
    runCleanup();
    return;
  }
  const h1 = container.querySelector('h1');
  if (h1 && (focus || document.activeElement === document.body)) h1.focus({ preventScroll: true });
  if (focus) window.scrollTo(0, 0);
}

function start() {
  if (!location.hash || location.hash === '#' || location.hash === '#/') {
    history.replaceState(null, '', '#/today');
  }
  route();
}

// A followed link moves focus to the new page's heading, so keyboard and
// screen-reader users start at the top of what they asked for.
window.addEventListener('hashchange', () => route({ focus: true }));

start();
