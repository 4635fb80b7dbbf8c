// The embedded store's writes on one node:sqlite connection, synchronous: run by the write worker for a file, and on
// the event loop for `:memory:` (which no second connection can open).
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { DecisionRow } from './decision-record.ts';
import type { RequestLogRow } from './store.ts';
import { toDecisionTableRow, toRequestLogRecord } from './store-records.ts';

/**
 * Batches go through cached prepared statements in one transaction each: about 2x cheaper than building multi-row
 * inserts per batch. Being synchronous, a transaction cannot interleave with any other statement on the connection.
 */
export class SqliteRowWriter {
  readonly #database: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  /** Writes through `database`, whose schema must be migrated before the first write. */
  constructor(database: DatabaseSync) {
    this.#database = database;
  }

  /** Stores the rows in one transaction: all or none (rows whose id is stored already are skipped when asked). */
  insertRequestLogs(rows: readonly RequestLogRow[], skipDuplicates: boolean): void {
    const statement = this.#insertStatement('request_log', REQUEST_LOG_COLUMNS, skipDuplicates);
    this.#insertAll(statement, rows.map((row) => {
      const record = toRequestLogRecord(row) as Record<string, unknown>;
      return REQUEST_LOG_COLUMNS.map((column) => toSqlValue(record[column]));
    }));
  }

  /** Stores the decisions in one transaction: all or none (decisions whose id is stored already are skipped when asked). */
  insertDecisions(rows: readonly DecisionRow[], skipDuplicates: boolean): void {
    const statement = this.#insertStatement('decisions', DECISION_COLUMNS, skipDuplicates);
    this.#insertAll(statement, rows.map((row) => {
      const record = toDecisionTableRow(row);
      return [record.id, record.created_at, record.model, record.record];
    }));
  }

  /** Deletes the decisions recorded before `olderThan`; returns how many went. */
  pruneDecisions(olderThan: string): number {
    let statement = this.#statements.get('prune');
    if (statement === undefined) {
      statement = this.#database.prepare('delete from decisions where created_at < ?');
      this.#statements.set('prune', statement);
    }
    return Number(statement.run(olderThan).changes);
  }

  #insertStatement(table: string, columns: readonly string[], skipDuplicates: boolean): StatementSync {
    const key = `${table}:${skipDuplicates}`;
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      const conflict = skipDuplicates ? ' on conflict (id) do nothing' : '';
      statement = this.#database.prepare(
        `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})${conflict}`,
      );
      this.#statements.set(key, statement);
    }
    return statement;
  }

  #insertAll(statement: StatementSync, rows: readonly SQLInputValue[][]): void {
    if (rows.length === 0) return;
    this.#database.exec('begin');
    try {
      for (const values of rows) statement.run(...values);
      this.#database.exec('commit');
    } catch (error) {
      // Some errors (a full disk, say) end the transaction themselves; a rollback then would fail and hide the cause.
      if (this.#database.isTransaction) this.#database.exec('rollback');
      throw error;
    }
  }
}

const REQUEST_LOG_COLUMNS = [
  'id', 'created_at', 'endpoint', 'model', 'route', 'attempts', 'status', 'error_code', 'stream',
  'prompt_tokens', 'completion_tokens', 'cached_tokens', 'duration_ms', 'ttfb_ms',
] as const;
const DECISION_COLUMNS = ['id', 'created_at', 'model', 'record'] as const;

// node:sqlite binds no booleans before Node 24 and no undefined: store 0/1 and NULL.
function toSqlValue(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as SQLInputValue;
}
