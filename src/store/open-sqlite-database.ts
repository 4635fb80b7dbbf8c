// One node:sqlite connection with the embedded store's settings; the store's own connection and its write worker's both open through here.
import { closeSync, constants, openSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

/**
 * The mode of a database file Crossway creates: read and write for its owner only, as the store holds tenants' data,
 * key hashes and the installation's secrets. SQLite gives the -wal and -shm files it creates beside it the same mode.
 */
export const DATABASE_FILE_MODE = 0o600;

/** The mode of a directory Crossway creates for its database: its owner's only. */
export const DATABASE_DIRECTORY_MODE = 0o700;

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

/**
 * Opens the SQLite file at `path` (or `:memory:`) in WAL mode; the file's directory must exist. A file that does not
 * exist yet is created with DATABASE_FILE_MODE (narrowed further by the umask); an existing file keeps its mode.
 */
export function openSqliteDatabase(path: string, options: OpenSqliteDatabaseOptions = {}): DatabaseSync {
  const synchronous = options.synchronous ?? 'normal';
  if (path !== ':memory:' && path !== '') createOwnerOnly(path);
  const database = new DatabaseSync(path);
  try {
    // WAL lets readers run beside the one writer. The busy timeout comes first: switching a fresh file to WAL takes
    // an exclusive lock, and another process opening the same file at that moment must wait for it, not fail.
    database.exec(`
      pragma busy_timeout = ${busyTimeoutMs};
      pragma journal_mode = wal;
      pragma synchronous = ${synchronous === 'full' ? 'full' : 'normal'};
      pragma foreign_keys = on;
    `);
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}

/**
 * SQLite would create a missing file with 0644 (less the umask): create it first, empty (a valid empty database), with
 * DATABASE_FILE_MODE. Exclusive, so an existing file (or anything else at `path`) is left alone; any failure here is
 * left for SQLite to report in its own words when it opens the path.
 */
function createOwnerOnly(path: string): void {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, DATABASE_FILE_MODE));
  } catch {
    // Exists already, or cannot be created: SQLite's open says which.
  }
}
