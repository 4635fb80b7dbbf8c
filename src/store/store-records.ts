// Rows as every backend stores them, kept free of Kysely at run time: the SQLite write worker loads this file too.
import type { CompiledQuery, Insertable } from 'kysely';
import type { DecisionRow } from './decision-record.ts';
import type { RequestLogRow } from './store.ts';
import type { RequestLogTable } from './store-database.ts';

/** A request-log row as stored (timings rounded). */
export function toRequestLogRecord(row: RequestLogRow): Insertable<RequestLogTable> {
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

/** A decision as stored: the record as JSON beside the columns it is looked up and pruned by. */
export function toDecisionTableRow({ created_at, record }: DecisionRow): { id: string; created_at: string; model: string; record: string } {
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
}

/** What one SqlStatement did: the rows it returned (SELECT, RETURNING), or how many rows it changed otherwise. */
export interface SqlStatementResult {
  rows: Record<string, unknown>[];
  changes: number;
}

/** Runs compiled statements in one transaction, in order (KyselyStore.executeWrites, which a backend may move elsewhere). */
export type ExecuteWrites = (statements: readonly CompiledQuery[]) => Promise<SqlStatementResult[]>;
