// The persistence contract: one interface that every backend (SQLite now, PostgreSQL later) implements and passes store.case.test.ts.
import type { DecisionRecord, DecisionRow } from './decision-record.ts';

/** One finished request as the gateway records it, for the admin API and the dashboard. */
export interface RequestLogRow {
  /** The request id; unique. */
  id: string;
  /** When the request arrived, in the exact form `Date.prototype.toISOString()` writes (UTC, milliseconds), so that text order is time order. */
  created_at: string;
  /** Which API was called: `'chat.completions'`, `'responses'`, `'embeddings'`, ... */
  endpoint: string;
  /** The model the client asked for. */
  model: string;
  /** Id of the route that answered (or the last one tried); null when no route was tried. */
  route: string | null;
  /** Upstream attempts made, retries and failovers included. */
  attempts: number;
  /** HTTP status sent to the client. */
  status: number;
  /** Stable Crossway error code when the request failed. */
  error_code: string | null;
  stream: boolean;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  /** Whole request, in milliseconds; stored rounded to an integer. */
  duration_ms: number;
  /** Time to the first byte sent to the client, in milliseconds; stored rounded to an integer. */
  ttfb_ms: number | null;
}

/**
 * A position in the newest-first request log: a page holds the rows strictly older than it.
 * Pass the last row of the previous page (ties on `created_at` are broken by `id`), or only `created_at` to start from a point in time.
 */
export interface RequestLogCursor {
  created_at: string;
  id?: string;
}

export interface ListRequestLogsOptions {
  limit: number;
  before?: RequestLogCursor;
}

export interface InsertRequestLogsOptions {
  /** Skip rows whose id is already stored instead of failing the batch (makes a retried batch idempotent). */
  skipDuplicates?: boolean;
}

export interface InsertDecisionsOptions {
  /** Skip decisions whose id is already stored instead of failing the batch (makes a retried batch idempotent). */
  skipDuplicates?: boolean;
}

/** Crossway's persistent state, behind one interface for every database. */
export interface Store {
  /** Brings the schema to the latest version; safe to run at every start and from several replicas. */
  migrate(): Promise<void>;
  /** Name of the last applied migration (e.g. `0001_request_log`), or null on an empty database. */
  schemaVersion(): Promise<string | null>;
  /** Resolves when the database answers a query; throws otherwise (used by /readyz). */
  ping(): Promise<void>;
  /** Releases the connection(s); idempotent. */
  close(): Promise<void>;
  /** Stores the rows in one transaction: all of them or none. */
  insertRequestLogs(rows: readonly RequestLogRow[], options?: InsertRequestLogsOptions): Promise<void>;
  /** Newest first (by `created_at`, then `id`). */
  listRequestLogs(options: ListRequestLogsOptions): Promise<RequestLogRow[]>;
  /** Stores routing decisions in one transaction: all of them or none (duplicates skipped when asked). */
  insertDecisions(rows: readonly DecisionRow[], options?: InsertDecisionsOptions): Promise<void>;
  /** The decision with this id, or null when it is unknown or was pruned. */
  getDecision(id: string): Promise<DecisionRecord | null>;
  /** Deletes the decisions recorded before `olderThan` (an ISO timestamp); resolves with how many went. */
  pruneDecisions(olderThan: string): Promise<number>;
}
