// Rows as every backend stores them, kept free of Kysely at run time: the SQLite write worker loads this file too.
import type { CompiledQuery, Insertable } from 'kysely';
import { boundStoredJson, STORED_DETAIL_MAX_CHARS, truncateStoredNullable, truncateStoredText } from './bound-stored-text.ts';
import type { DecisionRecord, DecisionRow } from './decision-record.ts';
import { StorageLimitError, type StorageLimitName } from './storage-limits.ts';
import type { RequestLogRow } from './store.ts';
import type { RequestLogTable } from './store-database.ts';

/**
 * A request-log row with its text columns bounded (truncateStoredText: 256 characters): the model is the client's
 * string, and one row must not cost the disk megabytes. Applied before a batch leaves for the writer thread, and again
 * (a no-op then) when it is stored.
 */
export function boundRequestLogRow(row: RequestLogRow): RequestLogRow {
  return {
    ...row,
    endpoint: truncateStoredText(row.endpoint),
    model: truncateStoredText(row.model),
    route: truncateStoredNullable(row.route),
    error_code: truncateStoredNullable(row.error_code),
  };
}

/** A request-log row as stored (text bounded, timings rounded). */
export function toRequestLogRecord(input: RequestLogRow): Insertable<RequestLogTable> {
  const row = boundRequestLogRow(input);
  return {
    id: row.id,
    created_at: row.created_at,
    endpoint: row.endpoint,
    model: row.model,
    route: row.route,
    attempts: row.attempts,
    status: row.status,
    error_code: row.error_code,
    stream: row.stream,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    cached_tokens: row.cached_tokens,
    // Timings come from performance.now() with fractions; PostgreSQL rejects those in an integer column.
    duration_ms: Math.round(row.duration_ms),
    ttfb_ms: row.ttfb_ms === null ? null : Math.round(row.ttfb_ms),
  };
}

/**
 * A decision with every string bounded: names 256 characters, free texts (basis, reasons' details, attempts' errors)
 * 1,024, and the constraints (the client's lists) by boundStoredJson. The record is kept whole otherwise.
 */
export function boundDecisionRecord(record: DecisionRecord): DecisionRecord {
  const name = (text: string) => truncateStoredText(text);
  const detail = (text: string) => truncateStoredText(text, STORED_DETAIL_MAX_CHARS);
  return {
    ...record,
    ...(record.tenant === undefined ? {} : { tenant: truncateStoredNullable(record.tenant) }),
    model: name(record.model),
    constraints: boundStoredJson(record.constraints) as Record<string, unknown>,
    kept: record.kept.map((kept) => ({
      ...kept,
      route: name(kept.route),
      provider: name(kept.provider),
      region: name(kept.region),
      basis: detail(kept.basis),
    })),
    rejected: record.rejected.map((rejected) => ({
      ...rejected,
      route: name(rejected.route),
      provider: name(rejected.provider),
      region: name(rejected.region),
      reasons: rejected.reasons.map((reason) => ({ code: name(reason.code), detail: detail(reason.detail) })),
    })),
    attempts: record.attempts.map((attempt) => ({
      ...attempt,
      route: name(attempt.route),
      error: truncateStoredNullable(attempt.error, STORED_DETAIL_MAX_CHARS),
    })),
  };
}

/** A decision as stored (bounded by boundDecisionRecord): the record as JSON beside the columns it is looked up and pruned by. */
export function toDecisionTableRow({ created_at, record: input }: DecisionRow): { id: string; created_at: string; model: string; record: string } {
  const record = boundDecisionRecord(input);
  return { id: record.id, created_at, model: record.model, record: JSON.stringify(record) };
}

/**
 * Decisions as their stored columns, flat (id, created_at, model, record JSON; four strings per decision): what the
 * writer thread inserts as it gets it, so that a decision is serialised once, by the thread that made it.
 */
export function toDecisionColumns(rows: readonly DecisionRow[]): string[] {
  const columns: string[] = [];
  for (const row of rows) {
    const { id, created_at, model, record } = toDecisionTableRow(row);
    columns.push(id, created_at, model, record);
  }
  return columns;
}

/** A compiled SQL statement (Kysely's `query.compile()`), as KyselyStore hands its rare writes to whoever runs them. */
export interface SqlStatement {
  sql: string;
  parameters: readonly unknown[];
  /**
   * Makes the statement a check: when it returns no row and changes no row, the transaction rolls back and the
   * write rejects with StorageLimitError(guard). Storage quotas are checked this way, atomically with their write.
   */
  guard?: StorageLimitName;
}

/** A compiled statement of a write, perhaps a guard (see SqlStatement.guard). */
export type WriteStatement = CompiledQuery & { guard?: StorageLimitName };

/** `statement` as a guard named `limit` (see SqlStatement.guard). */
export function toGuard(statement: CompiledQuery, limit: StorageLimitName): WriteStatement {
  return { ...statement, guard: limit };
}

/** Throws the guard's StorageLimitError when a guard statement found nothing (see SqlStatement.guard). */
export function checkGuard(statement: Pick<SqlStatement, 'guard'>, result: SqlStatementResult): void {
  if (statement.guard !== undefined && result.rows.length === 0 && result.changes === 0) throw new StorageLimitError(statement.guard);
}

/** What one SqlStatement did: the rows it returned (SELECT, RETURNING), or how many rows it changed otherwise. */
export interface SqlStatementResult {
  rows: Record<string, unknown>[];
  changes: number;
}

/**
 * Runs compiled statements in one transaction, in order (KyselyStore.executeWrites, which a backend may move
 * elsewhere); a guard that found nothing rolls it all back (see SqlStatement.guard).
 */
export type ExecuteWrites = (statements: readonly WriteStatement[]) => Promise<SqlStatementResult[]>;
