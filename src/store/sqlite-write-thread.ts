// Runs SqliteStore's writes on a worker thread with its own connection to the same file (WAL mode: one writer beside
// any number of readers), so that the gateway's event loop never waits for a commit or a WAL checkpoint.
import module from 'node:module';
import { Worker } from 'node:worker_threads';
import type { DecisionRow } from './decision-record.ts';
import type { LedgerCommitOutcome, LedgerEntry } from './ledger-records.ts';
import { stringifyLedgerEntries } from './ledger-rows.ts';
import type { RequestLogRow } from './store.ts';
import { boundRequestLogRow, toDecisionColumns } from './store-records.ts';
import type { SqlStatement, SqlStatementResult } from './store-records.ts';
import { StorageLimitError } from './storage-limits.ts';
import type { SqliteWriteError, SqliteWritePragmas, SqliteWriteReply, SqliteWriteRequest, SqliteWriteWorkerData } from './sqlite-write-worker.ts';

// A request before #post numbers it (Omit on each member of the union).
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<SqliteWriteRequest>;

// The worker's file beside this module's, with its extension: the sources' `.ts` under type stripping, or the build's
// `.js` in dist/ (bin/crossway.js runs it when fresh), so that compiled code starts compiled code. The build rewrites
// import specifiers only, not this URL.
const WORKER_URL = new URL(`./sqlite-write-worker${import.meta.url.endsWith('.js') ? '.js' : '.ts'}`, import.meta.url);

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/**
 * The write side of a SQLite file, on a worker thread started at the first write. Each method resolves once the
 * worker committed (so a read on another connection afterwards sees the rows) and rejects when the transaction failed
 * and was rolled back, or when the worker died before answering. After a crash the next write starts a new worker: a
 * transaction the dead worker left open was rolled back with its connection, and BatchWriter retries with
 * skipDuplicates, so a commit whose answer was lost is not written twice.
 */
export class SqliteWriteThread {
  /** The SQLite file, as given. */
  readonly path: string;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #lastId = 0;
  #closing: Promise<void> | undefined;

  /** Writes to the file at `path`, which must exist with its schema migrated before the first write. */
  constructor(path: string) {
    this.path = path;
  }

  async insertRequestLogs(rows: readonly RequestLogRow[], skipDuplicates: boolean): Promise<void> {
    if (rows.length > 0) await this.#send({ kind: 'insertRequestLogs', rows: JSON.stringify(rows.map(boundRequestLogRow)), skipDuplicates });
  }

  async insertDecisions(rows: readonly DecisionRow[], skipDuplicates: boolean): Promise<void> {
    if (rows.length > 0) await this.#send({ kind: 'insertDecisions', columns: toDecisionColumns(rows), skipDuplicates });
  }

  /** Deletes the decisions recorded before `olderThan`; a large delete runs as long as a commit, so it runs here too. */
  pruneDecisions(olderThan: string): Promise<number> {
    return this.#send<number>({ kind: 'pruneDecisions', olderThan });
  }

  /** Deletes the request-log rows created before `olderThan`, on the writer as pruneDecisions. */
  pruneRequestLogs(olderThan: string): Promise<number> {
    return this.#send<number>({ kind: 'pruneRequestLogs', olderThan });
  }

  /** Commits ledger entries in one transaction, synced to disk (the worker's connection runs synchronous=FULL). */
  async commitLedger(entries: readonly LedgerEntry[]): Promise<LedgerCommitOutcome[]> {
    if (entries.length === 0) return [];
    return this.#send<LedgerCommitOutcome[]>({ kind: 'commitLedger', entries: stringifyLedgerEntries(entries) });
  }

  /** Runs compiled statements in one transaction (see SqliteRowWriter.runStatements). */
  runStatements(statements: readonly SqlStatement[]): Promise<SqlStatementResult[]> {
    // Only the text and the values cross: a Kysely CompiledQuery also holds its syntax tree.
    const plain = statements.map(({ sql, parameters, guard }) => (guard === undefined ? { sql, parameters } : { sql, parameters, guard }));
    return this.#send<SqlStatementResult[]>({ kind: 'runStatements', statements: plain });
  }

  /** The write connection's settings, for diagnostics and tests (starts the worker if it is not running). */
  readPragmas(): Promise<SqliteWritePragmas> {
    return this.#send<SqliteWritePragmas>({ kind: 'readPragmas' });
  }

  /** Lets the pending writes commit, then closes the worker's connection and stops it; later writes reject. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#stop();
    return this.#closing;
  }

  /**
   * Stops the worker at once, as a crash would: pending writes reject (their transaction rolls back), and the next
   * write starts a new worker.
   */
  async terminate(): Promise<void> {
    await this.#worker?.terminate();
  }

  // The worker answers each kind of request with its own result type (see SqliteWriteReply).
  #send<T>(request: Request): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(new Error(`the SQLite store at ${this.path} is closed`));
    return this.#post(this.#worker ?? this.#start(), request) as Promise<T>;
  }

  #post(worker: Worker, request: Request): Promise<unknown> {
    const id = ++this.#lastId;
    return new Promise<unknown>((resolve, reject) => {
      // Idle, the worker must not keep the process alive; while a write is pending it must, or an `await` on the write
      // could end the process before the commit.
      if (this.#pending.size === 0) worker.ref();
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id } as SqliteWriteRequest);
    });
  }

  #start(): Worker {
    const workerData: SqliteWriteWorkerData = { path: this.path };
    const worker = new Worker(WORKER_URL, {
      workerData,
      name: 'crossway-sqlite-writer',
      // The worker needs no flag (Node 24 strips types by default), and inherited ones can break it: `--input-type`
      // without its `-e` refuses to load a file, and `--cpu-prof` would write a second profile beside the gateway's.
      execArgv: [],
      // A worker starts with the compile cache off even when its process enabled it (bin/crossway.js): the variable
      // turns it on, so that the worker too reuses compiled code instead of loading the TypeScript stripper.
      env: withCompileCache(process.env),
    });
    worker.unref();
    worker.on('message', (reply: SqliteWriteReply) => this.#settle(worker, reply));
    // An uncaught error (such as a file it cannot open) ends the worker, and 'exit' follows. Until then this worker
    // stays current, so that writes sent in between reject with the same error instead of landing on a second worker.
    let failure: Error | undefined;
    worker.on('error', (error) => {
      failure = error;
      this.#rejectAll(error);
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#rejectAll(failure ?? new Error(`the SQLite write worker for ${this.path} stopped (exit code ${code}) before it answered`));
    });
    this.#worker = worker;
    return worker;
  }

  #settle(worker: Worker, reply: SqliteWriteReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) worker.unref();
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(toError(reply.error));
  }

  #rejectAll(error: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const { reject } of pending) reject(error);
  }

  async #stop(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    // Queued behind every pending write: its answer means they are all settled. A worker that dies meanwhile has
    // rejected them, and there is nothing left to close.
    await this.#post(worker, { kind: 'close' }).catch(() => {});
    await worker.terminate();
  }
}

// Gives the error node:sqlite's fields back (`code: 'ERR_SQLITE_ERROR'`, `errcode`, `errstr`), for callers that branch on them.
function toError({ message, limit, ...fields }: SqliteWriteError): Error {
  if (limit !== undefined) return new StorageLimitError(limit);
  return Object.assign(new Error(message), fields);
}

/** The environment for a worker: this process's, plus NODE_COMPILE_CACHE when the process runs with a compile cache. */
function withCompileCache(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const directory = module.getCompileCacheDir();
  return directory === undefined ? env : { ...env, NODE_COMPILE_CACHE: directory };
}
