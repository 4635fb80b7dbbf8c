// The request journal every emulator keeps, so tests can see what a gateway really sent and how each call ended.
import type { IncomingHttpHeaders } from 'node:http';

/** How a request ended. */
export type RequestOutcome =
  /** The whole response was sent with a status below 400. */
  | 'completed'
  /** The client went away before the response finished. */
  | 'aborted'
  /** The emulator destroyed the socket on purpose (`disconnect_after_chunks`). */
  | 'disconnected'
  /** The whole response was sent with a status of 400 or more (injected faults included). */
  | 'error';

/** One journal entry, in the JSON shape `GET /__emulator/requests` returns. */
export interface JournalEntry {
  id: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Request headers; credentials are replaced by "[redacted]". */
  headers: Record<string, string>;
  /** Parsed JSON body, or null when it was empty or not JSON. */
  body: unknown;
  /** Response status, null while no headers were sent. */
  status: number | null;
  stream: boolean;
  chunks_sent: number;
  /** Null while the request is still in progress. */
  outcome: RequestOutcome | null;
  started_at: string;
  ended_at: string | null;
}

/** Entries kept per emulator; older ones are dropped. */
export const JOURNAL_LIMIT = 200;

const SECRET_HEADERS = new Set(['authorization', 'api-key', 'x-api-key', 'x-goog-api-key', 'x-amz-security-token']);

/** Copies request headers into a plain record with every credential replaced by "[redacted]". */
export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = SECRET_HEADERS.has(name) ? '[redacted]' : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Appends `entry`, dropping the oldest entries beyond JOURNAL_LIMIT. */
export function appendToJournal(journal: JournalEntry[], entry: JournalEntry): void {
  journal.push(entry);
  if (journal.length > JOURNAL_LIMIT) journal.splice(0, journal.length - JOURNAL_LIMIT);
}
