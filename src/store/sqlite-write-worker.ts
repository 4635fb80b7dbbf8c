// The worker thread behind SqliteWriteThread: commits the embedded store's batches on its own connection to the file,
// so that node:sqlite's synchronous commits and the WAL checkpoints inside them never block the gateway's event loop.
// Runs as a worker entry point only (`new Worker(new URL('./sqlite-write-worker.ts', import.meta.url))`).
import { parentPort, workerData } from 'node:worker_threads';
import type { DecisionColumns } from './decision-rows.ts';
import { parseLedgerEntries } from './ledger-rows.ts';
import { openSqliteDatabase } from './open-sqlite-database.ts';
import { SqliteRowWriter } from './sqlite-row-writer.ts';
import type { RequestLogRow } from './store.ts';
import type { SqlStatement } from './store-records.ts';
import { StorageLimitError, type StorageLimitName } from './storage-limits.ts';

/** What the worker is started with. */
export interface SqliteWriteWorkerData {
  /** The SQLite file; another connection has created it and migrated its schema. */
  path: string;
}

/**
 * One request to the worker; a message is a list of them (SqliteWriteThread sends a ledger commit and the log
 * batches it carries in one). Request-log rows travel as one JSON string per batch: cloning a string costs the posting
 * thread a copy, while structured clone walks every row. Ledger entries do too, their bigint amounts as decimal
 * strings (see stringifyLedgerEntries). Decisions travel as their stored columns, flat arrays of strings whose JSON
 * is made on the posting thread (parsing a batch only to serialise each record again cost the writer thread more than
 * inserting it), each plan once. The rare compiled statements are structured-cloned (their parameters may hold bytes).
 */
export type SqliteWriteRequest =
  | { id: number; kind: 'insertRequestLogs'; rows: string; skipDuplicates: boolean }
  /** Decisions as their stored columns (toDecisionColumns), so that their JSON is made once, on the posting thread. */
  | { id: number; kind: 'insertDecisions'; columns: DecisionColumns; skipDuplicates: boolean }
  | { id: number; kind: 'pruneDecisions'; olderThan: string }
  | { id: number; kind: 'pruneRequestLogs'; olderThan: string }
  | { id: number; kind: 'commitLedger'; entries: string }
  | { id: number; kind: 'runStatements'; statements: SqlStatement[] }
  /** Reports the connection's settings (SqliteWritePragmas), for diagnostics and tests. */
  | { id: number; kind: 'readPragmas' }
  /** Commits nothing more: closes the connection once the requests before it are done. */
  | { id: number; kind: 'close' };

/**
 * The answer to request `id`, sent once its transaction committed (or failed and rolled back). `result` depends on the
 * request: a row count, the ledger outcomes, the statements' results, or the pragmas.
 */
export type SqliteWriteReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: SqliteWriteError };

/** A failure as it crosses the thread boundary: structured clone would keep the message but drop node:sqlite's codes. */
export interface SqliteWriteError {
  message: string;
  /** Set for a StorageLimitError (a guard refused the write), which the posting thread rebuilds. */
  limit?: StorageLimitName;
  code?: string;
  errcode?: number;
  errstr?: string;
}

/** The write connection's settings, as `pragma` reads them (synchronous: 1 = NORMAL, 2 = FULL). */
export interface SqliteWritePragmas {
  journal_mode: string;
  synchronous: number;
  busy_timeout: number;
}

if (parentPort === null) throw new Error('sqlite-write-worker.ts runs only as a worker thread');
const port = parentPort;
// A failure to open throws here: the worker ends with an 'error' event, which rejects the pending writes.
// synchronous=FULL: a write the worker acknowledges (a usage event above all) is on disk, and survives a power loss.
const database = openSqliteDatabase((workerData as SqliteWriteWorkerData).path, { synchronous: 'full' });
const writer = new SqliteRowWriter(database);
let synchronous: 'full' | 'normal' = 'full';

// The request log and the decisions are batches of hundreds of rows that nobody waits for, while a caller waits on
// every ledger commit: a commit that arrives while such batches are queued goes before them (never before anything
// else, so that a reply still means every earlier write but those log batches is done, and `close` stays last).
// Requests that arrive together are queued first and handled on the next turn, so that the order can be chosen.
const queue: SqliteWriteRequest[] = [];
port.on('message', (requests: SqliteWriteRequest[]) => {
  const wasEmpty = queue.length === 0;
  queue.push(...requests);
  if (wasEmpty && queue.length > 0) setImmediate(drainQueue);
});

function drainQueue(): void {
  const deferred: SqliteWriteRequest[] = [];
  for (const request of queue.splice(0)) {
    if (isLogBatch(request)) deferred.push(request);
    else {
      if (request.kind !== 'commitLedger') for (const earlier of deferred.splice(0)) answer(earlier);
      answer(request);
    }
  }
  for (const request of deferred) answer(request);
}

function isLogBatch(request: SqliteWriteRequest): boolean {
  return request.kind === 'insertRequestLogs' || request.kind === 'insertDecisions' || request.kind === 'pruneDecisions' || request.kind === 'pruneRequestLogs';
}

function answer(request: SqliteWriteRequest): void {
  let reply: SqliteWriteReply;
  try {
    reply = { id: request.id, ok: true, result: handle(request) };
  } catch (error) {
    reply = { id: request.id, ok: false, error: describeError(error) };
  }
  port.postMessage(reply);
}

/**
 * Log batches commit with synchronous=NORMAL: in WAL mode that survives a crash of the process (not a power loss) and
 * spares the batch its fsync, the cost and the wait of which a ledger commit queued behind it would bear. The next
 * FULL commit (a ledger commit) syncs the WAL, and the log rows before it with it. Everything else commits FULL.
 */
function useSynchronous(mode: 'full' | 'normal'): void {
  if (mode === synchronous || database.isTransaction) return;
  database.exec(`pragma synchronous = ${mode}`);
  synchronous = mode;
}

function handle(request: SqliteWriteRequest): unknown {
  if (request.kind !== 'close') useSynchronous(isLogBatch(request) ? 'normal' : 'full');
  switch (request.kind) {
    case 'insertRequestLogs': {
      const rows = JSON.parse(request.rows) as RequestLogRow[];
      writer.insertRequestLogs(rows, request.skipDuplicates);
      return rows.length;
    }
    case 'insertDecisions':
      return writer.insertDecisionColumns(request.columns, request.skipDuplicates);
    case 'pruneDecisions':
      return writer.pruneDecisions(request.olderThan);
    case 'pruneRequestLogs':
      return writer.pruneRequestLogs(request.olderThan);
    case 'commitLedger':
      return writer.commitLedger(parseLedgerEntries(request.entries));
    case 'runStatements':
      return writer.runStatements(request.statements);
    case 'readPragmas':
      return readPragmas();
    case 'close':
      if (database.isOpen) database.close();
      return 0;
  }
}

function readPragmas(): SqliteWritePragmas {
  const read = (name: string) => Object.values(database.prepare(`pragma ${name}`).get() ?? {})[0];
  return { journal_mode: String(read('journal_mode')), synchronous: Number(read('synchronous')), busy_timeout: Number(read('busy_timeout')) };
}

function describeError(error: unknown): SqliteWriteError {
  if (!(error instanceof Error)) return { message: String(error) };
  if (error instanceof StorageLimitError) return { message: error.message, limit: error.limit };
  const { code, errcode, errstr } = error as Error & Partial<Omit<SqliteWriteError, 'message'>>;
  return { message: error.message, code, errcode, errstr };
}
