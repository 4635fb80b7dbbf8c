// One node:sqlite connection with the embedded store's settings; the store's own connection and its write worker's both open through here.
import { DatabaseSync } from 'node:sqlite';

// How long a statement waits for another connection's lock (the write worker's, or `crossway ledger` reading while the
// server writes) before failing.
const busyTimeoutMs = 5000;

/** How a connection opened by openSqliteDatabase commits. */
export interface OpenSqliteDatabaseOptions {
  /**
   * `normal` (the default) syncs the WAL at checkpoints only: corruption-safe in WAL mode, but a power loss can undo
   * the last commits. `full` syncs the WAL at every commit, so that a commit that returned survives a power loss: the
   * write worker's setting, as an acknowledged usage event must be durable.
   */
  synchronous?: 'normal' | 'full';
}

/** Opens the SQLite file at `path` (or `:memory:`) in WAL mode; the file's directory must exist. */
export function openSqliteDatabase(path: string, options: OpenSqliteDatabaseOptions = {}): DatabaseSync {
  const synchronous = options.synchronous ?? 'normal';
  const database = new DatabaseSync(path);
  try {
    // WAL lets readers run beside the one writer.
    database.exec(`
      pragma journal_mode = wal;
      pragma synchronous = ${synchronous === 'full' ? 'full' : 'normal'};
      pragma busy_timeout = ${busyTimeoutMs};
      pragma foreign_keys = on;
    `);
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}
