// One node:sqlite connection with the embedded store's settings; the store's own connection and its write worker's both open through here.
import { DatabaseSync } from 'node:sqlite';

// How long a statement waits for another connection's lock (the write worker's, or `crossway ledger` reading while the
// server writes) before failing.
const busyTimeoutMs = 5000;

/** Opens the SQLite file at `path` (or `:memory:`) in WAL mode; the file's directory must exist. */
export function openSqliteDatabase(path: string): DatabaseSync {
  const database = new DatabaseSync(path);
  try {
    // WAL lets readers run beside the one writer; synchronous=NORMAL syncs at checkpoints rather than at every commit,
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
  return database;
}
