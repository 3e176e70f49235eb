// properties.js — the properties the signed-in user can see, read once per
// sign-in (they rarely change) for names, zones and filters.

import { getAll } from './api.js';

let cache = null;

export async function properties() {
  if (!cache) {
    cache = getAll('/api/properties', {}, { maxPages: 4 })
      .then((r) => r.rows)
      .catch((err) => {
        cache = null;
        throw err;
      });
  }
  return cache;
}

export function forget() {
  cache = null;
}

/** Name of a property id, from an already loaded list. */
export function nameOf(list, id) {
  const p = (list || []).find((x) => x.id === id);
  return p ? p.name : id || '';
}

export function zoneOf(list, id) {
  const p = (list || []).find((x) => x.id === id);
  return p ? p.time_zone : undefined;
}
