// api.js — every call the page makes to the engine. Adds the bearer token,
// sends JSON, reads SPEC §3's error shape, and turns any 401 into "signed
// out" (app.js shows the sign-in screen). Nothing here caches records.

import { token } from './session.js';

let unauthorizedHandler = () => {};

/** app.js says what a 401 does (sign out, back to sign in). */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/**
 * call('GET', '/api/items', {query, body, ifMatch, signal, token, quiet401})
 * → {status, data, etag}. Non-2xx statuses throw ApiError (code and message
 * from the body); a network failure throws ApiError with status 0.
 */
export async function call(method, path, opts = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(opts.query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  const headers = { Accept: 'application/json' };
  const bearer = opts.token ?? token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (opts.ifMatch !== undefined && opts.ifMatch !== null) headers['If-Match'] = String(opts.ifMatch);
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(url, { method, headers, body, signal: opts.signal, cache: 'no-store' });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Lucia could not be reached. Check the connection and try again.');
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.status === 401 && !opts.quiet401) unauthorizedHandler();
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code || `http_${res.status}`, err.message || res.statusText, data);
  }
  return { status: res.status, data, etag: res.headers.get('ETag') };
}

export const get = (path, opts) => call('GET', path, opts).then((r) => r.data);
export const post = (path, body, opts = {}) => call('POST', path, { ...opts, body });

/**
 * A GET that may meet an endpoint this engine does not have yet: resolves
 * {missing: true} on a 404 from the router, else {data}.
 */
export async function getOptional(path, opts) {
  try {
    return { missing: false, data: await get(path, opts) };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
      return { missing: true, data: null };
    }
    throw err;
  }
}

/** Follows `next` cursors; at most maxPages pages of `limit`. */
export async function getAll(path, query = {}, { maxPages = 10, limit = 500 } = {}) {
  const rows = [];
  let after;
  for (let page = 0; page < maxPages; page++) {
    const body = await get(path, { query: { ...query, limit, after } });
    rows.push(...(body.data || []));
    if (!body.has_more) return { rows, more: false };
    after = body.next;
  }
  return { rows, more: true };
}

/** A fresh Idempotency-Key for a write the page might retry. */
export function idempotencyKey() {
  // getRandomValues, unlike randomUUID, works outside secure contexts too.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `admin-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
