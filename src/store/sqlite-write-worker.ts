// The worker thread behind SqliteWriteThread: commits the embedded store's batches on its own connection to the file,
// so that node:sqlite's synchronous commits and the WAL checkpoints inside them never block the gateway's event loop.
// Runs as a worker entry point only (`new Worker(new URL('./sqlite-write-worker.ts', import.meta.url))`).
import { parentPort, workerData } from 'node:worker_threads';
import type { DecisionRow } from './decision-record.ts';
import { openSqliteDatabase } from './open-sqlite-database.ts';
import { SqliteRowWriter } from './sqlite-row-writer.ts';
import type { RequestLogRow } from './store.ts';

/** What the worker is started with. */
export interface SqliteWriteWorkerData {
  /** The SQLite file; another connection has created it and migrated its schema. */
  path: string;
}

/**
 * One request to the worker. Rows travel as one JSON string per batch: cloning a string costs the posting thread a
 * copy, while structured clone walks every row, about twice as long for decisions.
 */
export type SqliteWriteRequest =
  | { id: number; kind: 'insertRequestLogs'; rows: string; skipDuplicates: boolean }
  | { id: number; kind: 'insertDecisions'; rows: string; skipDuplicates: boolean }
  | { id: number; kind: 'pruneDecisions'; olderThan: string }
  /** Commits nothing more: closes the connection once the requests before it are done. */
  | { id: number; kind: 'close' };

/** The answer to request `id`, sent once its transaction committed (or failed and rolled back). */
export type SqliteWriteReply =
  | { id: number; ok: true; count: number }
  | { id: number; ok: false; error: SqliteWriteError };

/** A failure as it crosses the thread boundary: structured clone would keep the message but drop node:sqlite's codes. */
export interface SqliteWriteError {
  message: string;
  code?: string;
  errcode?: number;
  errstr?: string;
}

if (parentPort === null) throw new Error('sqlite-write-worker.ts runs only as a worker thread');
const port = parentPort;
// A failure to open throws here: the worker ends with an 'error' event, which rejects the pending writes.
const database = openSqliteDatabase((workerData as SqliteWriteWorkerData).path);
const writer = new SqliteRowWriter(database);

// Requests are handled one at a time in arrival order, so a reply also means every earlier request is done.
port.on('message', (request: SqliteWriteRequest) => {
  let reply: SqliteWriteReply;
  try {
    reply = { id: request.id, ok: true, count: handle(request) };
  } catch (error) {
    reply = { id: request.id, ok: false, error: describeError(error) };
  }
  port.postMessage(reply);
});

function handle(request: SqliteWriteRequest): number {
  switch (request.kind) {
    case 'insertRequestLogs': {
      const rows = JSON.parse(request.rows) as RequestLogRow[];
      writer.insertRequestLogs(rows, request.skipDuplicates);
      return rows.length;
    }
    case 'insertDecisions': {
      const rows = JSON.parse(request.rows) as DecisionRow[];
      writer.insertDecisions(rows, request.skipDuplicates);
      return rows.length;
    }
    case 'pruneDecisions':
      return writer.pruneDecisions(request.olderThan);
    case 'close':
      if (database.isOpen) database.close();
      return 0;
  }
}

function describeError(error: unknown): SqliteWriteError {
  if (!(error instanceof Error)) return { message: String(error) };
  const { code, errcode, errstr } = error as Error & Partial<Omit<SqliteWriteError, 'message'>>;
  return { message: error.message, code, errcode, errstr };
}
