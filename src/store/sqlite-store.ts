// The embedded default Store: one SQLite file through Node's built-in node:sqlite.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import { KyselyStore } from './kysely-store.ts';
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

  override async close(): Promise<void> {
    await super.close();
    // Kysely closes the database only if it ever ran a query.
    if (this.#database.isOpen) this.#database.close();
  }
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
