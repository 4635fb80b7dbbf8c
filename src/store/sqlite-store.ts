// The embedded default Store: one SQLite file through Node's built-in node:sqlite, written on a worker thread.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import type { DecisionRow } from './decision-record.ts';
import { KyselyStore } from './kysely-store.ts';
import type { LedgerCommitResult, LedgerEntry } from './ledger-records.ts';
import { toLedgerCommitResults, type LedgerEntryVerdict } from './ledger-rows.ts';
import { createNodeSqliteDialect } from './node-sqlite-dialect.ts';
import { DATABASE_DIRECTORY_MODE, openSqliteDatabase } from './open-sqlite-database.ts';
import { SqliteRowWriter } from './sqlite-row-writer.ts';
import { SqliteWriteThread } from './sqlite-write-thread.ts';
import type { InsertDecisionsOptions, InsertRequestLogsOptions, RequestLogRow } from './store.ts';
import type { StoreDatabase } from './store-database.ts';
import type { SqlStatement, SqlStatementResult, WriteStatement } from './store-records.ts';

/** Where a SqliteStore's writes run; SqliteWriteThread is one. */
interface SqliteWrites {
  insertRequestLogs(rows: readonly RequestLogRow[], skipDuplicates: boolean): Promise<void>;
  insertDecisions(rows: readonly DecisionRow[], skipDuplicates: boolean): Promise<void>;
  pruneDecisions(olderThan: string): Promise<number>;
  pruneRequestLogs(olderThan: string): Promise<number>;
  commitLedger(entries: readonly LedgerEntry[]): Promise<LedgerEntryVerdict[]>;
  runStatements(statements: readonly SqlStatement[]): Promise<SqlStatementResult[]>;
  close(): Promise<void>;
}

/**
 * The Store in a SQLite file (or `:memory:`); open it with openSqliteStore. node:sqlite is synchronous, so for a file
 * every write (group commits, ledger commits, tenants, keys, idempotency records, prunes) runs on a worker thread with
 * a second connection, the file's single writer, which syncs each commit to disk (synchronous=FULL); this connection
 * runs the migrations at start and the reads, with synchronous=NORMAL (it commits nothing but migrations, which are
 * idempotent and rerun if a power loss undoes them). `:memory:` cannot be shared between connections: its writes run
 * here, on the event loop.
 */
export class SqliteStore extends KyselyStore {
  /** The file path as given, or `:memory:`. */
  readonly path: string;
  readonly #database: DatabaseSync;
  readonly #writes: SqliteWrites;

  constructor(database: DatabaseSync, path: string) {
    super(new Kysely<StoreDatabase>({ dialect: createNodeSqliteDialect(database) }));
    this.#database = database;
    this.path = path;
    this.#writes = path === ':memory:' ? writeOnThisThread(database) : new SqliteWriteThread(path);
  }

  /** Resolves once the rows are committed: a read right afterwards sees them. */
  override insertRequestLogs(rows: readonly RequestLogRow[], options: InsertRequestLogsOptions = {}): Promise<void> {
    return this.#writes.insertRequestLogs(rows, options.skipDuplicates === true);
  }

  /** Resolves once the decisions are committed: `getDecision` right afterwards finds them. */
  override insertDecisions(rows: readonly DecisionRow[], options: InsertDecisionsOptions = {}): Promise<void> {
    return this.#writes.insertDecisions(rows, options.skipDuplicates === true);
  }

  override pruneDecisions(olderThan: string): Promise<number> {
    return this.#writes.pruneDecisions(olderThan);
  }

  override pruneRequestLogs(olderThan: string): Promise<number> {
    return this.#writes.pruneRequestLogs(olderThan);
  }

  /** Resolves once the entries are committed and synced to disk (for a file). */
  override async commitLedger(entries: readonly LedgerEntry[]): Promise<LedgerCommitResult[]> {
    return toLedgerCommitResults(entries, await this.#writes.commitLedger(entries));
  }

  /** KyselyStore's rare writes, compiled there, run by the single writer (never in a Kysely transaction here). */
  protected override executeWrites(statements: readonly WriteStatement[]): Promise<SqlStatementResult[]> {
    return this.#writes.runStatements(statements);
  }

  /** Lets pending writes commit, stops the write worker, then closes this connection. */
  override async close(): Promise<void> {
    await this.#writes.close();
    await super.close();
    // Kysely closes the database only if it ever ran a query.
    if (this.#database.isOpen) this.#database.close();
  }
}

// The connection's own writes, for `:memory:`; once it is closed, they fail with node:sqlite's "database is not open".
function writeOnThisThread(database: DatabaseSync): SqliteWrites {
  const writer = new SqliteRowWriter(database);
  return {
    insertRequestLogs: async (rows, skipDuplicates) => writer.insertRequestLogs(rows, skipDuplicates),
    insertDecisions: async (rows, skipDuplicates) => writer.insertDecisions(rows, skipDuplicates),
    pruneDecisions: async (olderThan) => writer.pruneDecisions(olderThan),
    pruneRequestLogs: async (olderThan) => writer.pruneRequestLogs(olderThan),
    commitLedger: async (entries) => writer.commitLedger(entries),
    runStatements: async (statements) => writer.runStatements(statements),
    close: async () => {},
  };
}

/**
 * Opens (creating it and its directory if needed) the SQLite file at `path`; call `migrate()` before use. Directories
 * it creates are DATABASE_DIRECTORY_MODE and a file it creates DATABASE_FILE_MODE (owner only).
 */
export async function openSqliteStore(path: string): Promise<SqliteStore> {
  if (path !== ':memory:') await mkdir(dirname(path), { recursive: true, mode: DATABASE_DIRECTORY_MODE });
  return new SqliteStore(openSqliteDatabase(path), path);
}
