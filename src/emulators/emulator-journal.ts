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
  /**
   * Parsed JSON body, or null when it was empty or not JSON; a body over JOURNAL_BODY_LIMIT bytes is kept as a string
   * excerpt of its first JOURNAL_EXCERPT_BYTES bytes instead (`body_truncated`).
   */
  body: unknown;
  /** The body's length in bytes as received. */
  body_bytes: number;
  /** True when `body` is an excerpt of a larger body. */
  body_truncated: boolean;
  /** Response status, null while no headers were sent. */
  status: number | null;
  stream: boolean;
  chunks_sent: number;
  /** Null while the request is still in progress. */
  outcome: RequestOutcome | null;
  started_at: string;
  ended_at: string | null;
}

/** Entries kept per emulator: at most 200; older ones are dropped. */
export const JOURNAL_LIMIT = 200;

/** Body bytes kept per emulator over all its entries: at most 16 MiB; the oldest entries are dropped beyond it. */
export const JOURNAL_BODY_BYTES_LIMIT = 16 * 1024 * 1024;

/** A body larger than this (1 MiB) is kept as an excerpt, with its length. */
export const JOURNAL_BODY_LIMIT = 1024 * 1024;

/** The size of the excerpt kept of a larger body: its first 4 KiB. */
export const JOURNAL_EXCERPT_BYTES = 4096;

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

/**
 * The body fields of a journal entry for a request whose body was `raw` (parsed as `parsed`): the parsed body, or an
 * excerpt when it is larger than JOURNAL_BODY_LIMIT, so that one large request cannot hold its whole body here.
 */
export function toJournalBody(raw: Buffer, parsed: unknown): Pick<JournalEntry, 'body' | 'body_bytes' | 'body_truncated'> {
  if (raw.length <= JOURNAL_BODY_LIMIT) return { body: parsed ?? null, body_bytes: raw.length, body_truncated: false };
  // A cut may split a UTF-8 sequence: the decoder replaces the broken tail with U+FFFD, which is fine for an excerpt.
  return { body: raw.subarray(0, JOURNAL_EXCERPT_BYTES).toString('utf8'), body_bytes: raw.length, body_truncated: true };
}

/** The bytes an entry's body holds in the journal: its length, or its excerpt's. */
function keptBytes(entry: JournalEntry): number {
  return entry.body_truncated ? Math.min(entry.body_bytes, JOURNAL_EXCERPT_BYTES) : entry.body_bytes;
}

/**
 * An emulator's journal of recent requests, oldest first: at most JOURNAL_LIMIT entries and JOURNAL_BODY_BYTES_LIMIT
 * bytes of bodies (the newest entry is always kept). Entries stay mutable: the server fills in how each request ended.
 */
export class EmulatorJournal {
  readonly #entries: JournalEntry[] = [];
  #bodyBytes = 0;

  /** Appends `entry`, dropping the oldest entries beyond either bound. */
  append(entry: JournalEntry): void {
    this.#entries.push(entry);
    this.#bodyBytes += keptBytes(entry);
    while (this.#entries.length > 1 && (this.#entries.length > JOURNAL_LIMIT || this.#bodyBytes > JOURNAL_BODY_BYTES_LIMIT)) {
      this.#bodyBytes -= keptBytes(this.#entries.shift() as JournalEntry);
    }
  }

  /** The entries, oldest first (the live objects: copy them before handing them out to be changed). */
  entries(): readonly JournalEntry[] {
    return this.#entries;
  }

  /** The bytes of bodies held now. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /** Empties the journal. */
  clear(): void {
    this.#entries.length = 0;
    this.#bodyBytes = 0;
  }
}
