// Reads a date or instant given in an admin query (usage report, statement) as the ledger's timestamp text.
import { InvalidRequestError } from '../wire/index.ts';

const datePattern = /^\d{4}-\d{2}-\d{2}$/;
// An offset is required: an instant without one would be read in the server's time zone.
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * A date (`2026-11-01`, meaning its 00:00:00Z) or an ISO 8601 instant with an offset, as `toISOString()` text: the
 * form usage events and transfers are stored in, so that comparing text compares time. Anything else is a 400 naming
 * `param`.
 */
export function normalizeQueryInstant(text: string, param: string): string {
  const ms = datePattern.test(text) ? Date.parse(`${text}T00:00:00Z`) : instantPattern.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms))
    throw new InvalidRequestError(`${param} must be a date (YYYY-MM-DD) or an ISO 8601 instant with an offset, got ${JSON.stringify(text)}`, param);
  return new Date(ms).toISOString();
}
