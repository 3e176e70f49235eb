// api.js — the guest page's calls to the engine (SPEC §8b). A sibling of
// admin/lib/api.js rather than a user of it: that one reads the operator's
// token from the admin's session and turns every 401 into the admin's
// sign-in, while a guest call must carry only the guest token (or nothing)
// and must read Retry-After, which a 429 here needs to show. Errors come
// back as GuestError with a plain sentence a guest can act on; nothing in
// them repeats a token or a code.

export class GuestError extends Error {
  /**
   * status: the HTTP status, 0 when Lucia could not be reached.
   * code: SPEC §3's error code (or "network"). retryAfter: seconds, or null.
   */
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** Seconds from a Retry-After value (delta-seconds or an HTTP date), or null. */
export function retryAfterSeconds(value, now = Date.now()) {
  if (value === null || value === undefined || value === '') return null;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const when = Date.parse(text);
  if (Number.isNaN(when)) return null;
  return Math.max(0, Math.ceil((when - now) / 1000));
}

/** The sentence shown for an error (the 401s are worded by their callers). */
export function plainError(err) {
  if (!(err instanceof GuestError)) return 'Something went wrong on this page. Reload it and try again.';
  if (err.status === 0) return 'Lucia could not be reached. Check your connection and try again.';
  if (err.status === 429) {
    const s = err.retryAfter;
    const wait = s === null ? 'a minute' : s === 1 ? '1 second' : `${s} seconds`;
    return `Too many tries. Wait ${wait} and try again.`;
  }
  if (err.status === 503) return 'Lucia is unreachable just now. Nothing was lost; try again in a moment.';
  if (err.status === 400 || err.status === 413) return sentence(err.message) || 'Lucia could not read that. Check it and try again.';
  if (err.status === 404) return 'That is not one of your records.';
  return `Something went wrong (Lucia answered ${err.status}). Try again in a moment.`;
}

/** "that code is not valid" → "That code is not valid." */
export function sentence(text) {
  const t = String(text || '').trim();
  if (!t) return '';
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/**
 * call('POST', '/guest/chat', {body, token}) → the parsed JSON body (null
 * for a 204). Sends only the guest token given, never another one.
 */
export async function call(method, path, { body, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(new URL(path, location.origin), { method, headers, body: payload, cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new GuestError(0, 'network', 'Lucia could not be reached.');
  }
  const text = await res.text().catch(() => '');
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new GuestError(res.status, e.code || `http_${res.status}`, e.message || res.statusText, retryAfterSeconds(res.headers.get('Retry-After')));
  }
  return data;
}
