// session.js — the token the operator typed, kept in this tab's
// sessionStorage only (never localStorage, never a URL, never a cookie), and
// what the page may show about it. The page never verifies a token: the
// engine does, on every request. Claims read here only label the screen and
// hide buttons a viewer could not use anyway.

const TOKEN_KEY = 'lucia.token';
const NOTICE_KEY = 'lucia.signin.notice';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
  sessionStorage.removeItem(NOTICE_KEY);
}

/** Forgets the token and everything this tab kept for the signed-in user. */
export function signOut(notice) {
  const keys = [];
  for (let i = 0; i < sessionStorage.length; i++) {
    const key = sessionStorage.key(i);
    if (key && key.startsWith('lucia.')) keys.push(key);
  }
  keys.forEach((key) => sessionStorage.removeItem(key));
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
}

/** A message for the sign-in screen (why we are there), read once. */
export function takeNotice() {
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  return notice;
}

function base64urlJson(part) {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * Who the token says we are: {kind: 'operator', sub, role} for a JWT,
 * {kind: 'service', role: 'service'} for anything else (the service key).
 */
export function identity() {
  const t = token();
  if (!t) return null;
  const parts = t.split('.');
  if (parts.length === 3) {
    try {
      const claims = base64urlJson(parts[1]);
      const role = ['owner', 'operator', 'viewer'].includes(claims.role) ? claims.role : 'viewer';
      return { kind: 'operator', sub: String(claims.sub || 'operator'), role };
    } catch {
      /* not a JWT after all: the engine will say */
    }
  }
  return { kind: 'service', sub: 'service key', role: 'service' };
}

/** True when the role may write (operator, owner, service). */
export function canWrite() {
  const who = identity();
  return !!who && who.role !== 'viewer';
}
