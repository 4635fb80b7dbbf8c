// Rows as every backend stores them, kept free of Kysely at run time: the SQLite write worker loads this file too.
import type { CompiledQuery, Insertable } from 'kysely';
import { truncateStoredNullable, truncateStoredText } from './bound-stored-text.ts';
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
    tenant_id: truncateStoredNullable(row.tenant_id ?? null),
    key_id: truncateStoredNullable(row.key_id ?? null),
    decision_id: truncateStoredNullable(row.decision_id ?? null),
    provider: truncateStoredNullable(row.provider ?? null),
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
    mcp_calls: serializeMcpCalls(row.mcp_calls),
    tenant_id: row.tenant_id ?? null,
    key_id: row.key_id ?? null,
    decision_id: row.decision_id ?? null,
    provider: row.provider ?? null,
    upstream_ms: row.upstream_ms === undefined || row.upstream_ms === null ? null : Math.round(row.upstream_ms),
  };
}

/** The MCP entries as stored: at most 64, each field at most 256 characters (a request's log row stays small). */
function serializeMcpCalls(entries: RequestLogRow['mcp_calls']): string | null {
  if (entries === undefined || entries === null || entries.length === 0) return null;
  return JSON.stringify(
    entries.slice(0, 64).map((entry) => ({
      server_label: truncateStoredText(entry.server_label),
      tool: truncateStoredText(entry.tool),
      outcome: truncateStoredText(entry.outcome),
    })),
  );
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
