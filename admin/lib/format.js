// format.js — money, times and labels as a person reads them. Money is
// integer minor units plus an ISO currency (SPEC §3); times are RFC 3339
// UTC shown in the zone the page is about.

const moneyFormats = new Map();

export function money(cents, currency) {
  if (cents === null || cents === undefined) return '—';
  const cur = (currency || 'usd').toUpperCase();
  let fmt = moneyFormats.get(cur);
  if (!fmt) {
    try {
      fmt = new Intl.NumberFormat(undefined, { style: 'currency', currency: cur });
    } catch {
      fmt = { format: (v) => `${v.toFixed(2)} ${cur}` };
    }
    moneyFormats.set(cur, fmt);
  }
  return fmt.format(cents / 100);
}

function zoneOk(zone) {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function options(zone, extra) {
  return zone && zoneOk(zone) ? { ...extra, timeZone: zone } : extra;
}

/** "14:30" in zone. */
export function time(iso, zone) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(undefined, options(zone, { hour: '2-digit', minute: '2-digit' })).format(
    new Date(iso),
  );
}

/** "Mon 23 Nov, 14:30" in zone. */
export function dateTime(iso, zone) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(
    undefined,
    options(zone, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }),
  ).format(new Date(iso));
}

/** A stay date (YYYY-MM-DD, already local to the property): "Mon 23 Nov". */
export function day(ymd) {
  if (!ymd) return '—';
  const [y, m, d] = ymd.split('-').map(Number);
  return new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** "in 2 h", "25 min ago", "3 days ago". */
export function relative(iso, now = Date.now()) {
  if (!iso) return '';
  const diff = new Date(iso).getTime() - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
  if (abs < 60_000) return diff < 0 ? 'just now' : 'in under a minute';
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), 'minute');
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), 'hour');
  return rtf.format(Math.round(diff / 86_400_000), 'day');
}

/** "in_progress" → "in progress"; "payment_failed" → "payment failed". */
export function label(value) {
  return String(value ?? '').replace(/_/g, ' ');
}

/** "Mon 23 Nov – Fri 27 Nov (4 nights)". */
export function stay(checkIn, checkOut) {
  const nights = Math.round((Date.parse(checkOut) - Date.parse(checkIn)) / 86_400_000);
  const n = Number.isFinite(nights) ? ` · ${nights} night${nights === 1 ? '' : 's'}` : '';
  return `${day(checkIn)} – ${day(checkOut)}${n}`;
}

/** The route for a record id, by its type prefix (SPEC §3), or null. */
export function recordHref(id) {
  if (typeof id !== 'string') return null;
  if (id.startsWith('itm_')) return `#/items/${encodeURIComponent(id)}`;
  if (id.startsWith('bk_')) return `#/bookings/${encodeURIComponent(id)}`;
  if (id.startsWith('msg_')) return `#/inbox?message=${encodeURIComponent(id)}`;
  if (id.startsWith('gst_')) return `#/inbox?guest=${encodeURIComponent(id)}`;
  return null;
}
