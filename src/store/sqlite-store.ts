// The embedded default Store: one SQLite file through Node's built-in node:sqlite.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import type { DecisionRow } from './decision-record.ts';
import { KyselyStore, toDecisionTableRow, toRequestLogRecord } from './kysely-store.ts';
import type { InsertDecisionsOptions, InsertRequestLogsOptions, RequestLogRow } from './store.ts';
import { createNodeSqliteDialect } from './node-sqlite-dialect.ts';
import type { StoreDatabase } from './store-database.ts';

// How long a write waits for another process's lock (e.g. `crossway ledger` reading while the server writes) before failing.
const busyTimeoutMs = 5000;

/** The Store in a SQLite file (or `:memory:`); open it with openSqliteStore. */
export class SqliteStore extends KyselyStore {
  /** The file path as given, or `:memory:`. */
  readonly path: string;
  readonly #database: DatabaseSync;

  constructor(database: DatabaseSync, path: string) {
    super(new Kysely<StoreDatabase>({ dialect: createNodeSqliteDialect(database) }));
    this.#database = database;
    this.path = path;
  }

  /**
   * Batches go through cached prepared statements in one synchronous transaction: about 2x cheaper than building
   * multi-row inserts per batch, and node:sqlite blocks the event loop for exactly that long. Being synchronous, the
   * transaction cannot interleave with any other query on the connection.
   */
  override async insertRequestLogs(rows: readonly RequestLogRow[], options: InsertRequestLogsOptions = {}): Promise<void> {
    const statement = this.#statement('request_log', REQUEST_LOG_COLUMNS, options.skipDuplicates === true);
    this.#insertAll(statement, rows.map((row) => {
      const record = toRequestLogRecord(row) as Record<string, unknown>;
      return REQUEST_LOG_COLUMNS.map((column) => toSqlValue(record[column]));
    }));
  }

  override async insertDecisions(rows: readonly DecisionRow[], options: InsertDecisionsOptions = {}): Promise<void> {
    const statement = this.#statement('decisions', DECISION_COLUMNS, options.skipDuplicates === true);
    this.#insertAll(statement, rows.map((row) => {
      const record = toDecisionTableRow(row);
      return [record.id, record.created_at, record.model, record.record];
    }));
  }

  readonly #statements = new Map<string, StatementSync>();

  #statement(table: string, columns: readonly string[], skipDuplicates: boolean): StatementSync {
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
      this.#database.exec('rollback');
      throw error;
    }
  }

  override async close(): Promise<void> {
    await super.close();
    // Kysely closes the database only if it ever ran a query.
    if (this.#database.isOpen) this.#database.close();
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

/** Opens (creating it and its directory if needed) the SQLite file at `path`; call `migrate()` before use. */
export async function openSqliteStore(path: string): Promise<SqliteStore> {
  const inMemory = path === ':memory:';
  if (!inMemory) await mkdir(dirname(path), { recursive: true });
  const database = new DatabaseSync(path);
  try {
    // WAL lets readers run beside the writer; synchronous=NORMAL syncs at checkpoints rather than at every commit,
    // which stays corruption-safe in WAL mode and can lose only the last commits on power loss.
    database.exec(`
      pragma journal_mode = wal;
      pragma synchronous = normal;
      pragma busy_timeout = ${busyTimeoutMs};
      pragma foreign_keys = on;
    `);
  } catch (error) {
    database.close();
    throw error;
  }
  return new SqliteStore(database, path);
}
