// Reads the catalog's ISO dates as instants: a bare date (`2026-06-01`) is a whole UTC day, a datetime is exact.
// Availability windows, licenses and first-ship windows all read their bounds through these two functions so that
// "from" and "until" mean the same thing everywhere.

const DAY_MS = 86_400_000;
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The first instant (ms since epoch) a `from` bound allows: midnight UTC of a bare date, or the datetime itself. */
export function startOfCatalogDate(text: string): number {
  return Date.parse(BARE_DATE.test(text) ? `${text}T00:00:00Z` : text);
}

/**
 * The first instant (ms) past an `until` bound. A bare date is inclusive: `until: 2032-12-31` allows the whole of that
 * day, so the bound ends at the next midnight UTC. A datetime ends exactly at itself.
 */
export function endOfCatalogDate(text: string): number {
  return BARE_DATE.test(text) ? startOfCatalogDate(text) + DAY_MS : Date.parse(text);
}

/** `released + days`, as an instant (ms). */
export function addCatalogDays(text: string, days: number): number {
  return startOfCatalogDate(text) + days * DAY_MS;
}

/** An instant for details: `2026-12-01` when it falls on midnight UTC, else the full ISO timestamp. */
export function formatInstant(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}
