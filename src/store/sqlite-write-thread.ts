// Runs SqliteStore's writes on a worker thread with its own connection to the same file (WAL mode: one writer beside
// any number of readers), so that the gateway's event loop never waits for a commit or a WAL checkpoint.
import module from 'node:module';
import { Worker } from 'node:worker_threads';
import type { DecisionRow } from './decision-record.ts';
import { toDecisionColumns } from './decision-rows.ts';
import type { LedgerEntry } from './ledger-records.ts';
import { stringifyLedgerEntries, type LedgerEntryVerdict } from './ledger-rows.ts';
import type { RequestLogRow } from './store.ts';
import { boundRequestLogRow } from './store-records.ts';
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

/** A log batch (request-log rows, decisions) waiting for the next message to the worker to carry it. */
interface Rider {
  request: Request;
  pending: Pending;
}

/**
 * The write side of a SQLite file, on a worker thread started at the first write. Each method resolves once the
 * worker committed (so a read on another connection afterwards sees the rows) and rejects when the transaction failed
 * and was rolled back, or when the worker died before answering. After a crash the next write starts a new worker: a
 * transaction the dead worker left open was rolled back with its connection, and BatchWriter retries with
 * skipDuplicates, so a commit whose answer was lost is not written twice.
 *
 * One message per batch: a batch of request-log rows or decisions does not go to the worker by itself while a ledger
 * commit is in flight. It waits for the next message, which the ledger's group commit posts the moment the commit in
 * flight is answered, and goes in it: behind the ledger's entries, which the worker commits and answers first (a log
 * batch never delays a ledger commit), or ahead of any other write, which keeps its place behind it. With no ledger
 * commit in flight, it goes at the end of the current turn, in the message of whatever write is posted first.
 */
export class SqliteWriteThread {
  /** The SQLite file, as given. */
  readonly path: string;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #lastId = 0;
  #closing: Promise<void> | undefined;
  /** Log batches not yet posted, in the order they came. */
  #riders: Rider[] = [];
  /** Ids of the ledger commits posted and not yet answered. */
  readonly #ledgerCommits = new Set<number>();
  #ridersScheduled = false;
  #messages = 0;

  /** Writes to the file at `path`, which must exist with its schema migrated before the first write. */
  constructor(path: string) {
    this.path = path;
  }

  /** Stores the rows in one transaction, carried by the next message to the worker (see the class). */
  async insertRequestLogs(rows: readonly RequestLogRow[], skipDuplicates: boolean): Promise<void> {
    if (rows.length > 0) await this.#carry({ kind: 'insertRequestLogs', rows: JSON.stringify(rows.map(boundRequestLogRow)), skipDuplicates });
  }

  /** Stores the decisions (their plans once) in one transaction, carried by the next message to the worker (see the class). */
  async insertDecisions(rows: readonly DecisionRow[], skipDuplicates: boolean): Promise<void> {
    if (rows.length > 0) await this.#carry({ kind: 'insertDecisions', columns: toDecisionColumns(rows), skipDuplicates });
  }

  /** Messages posted to the worker so far (each carries one or more writes), for tests and diagnostics. */
  get messages(): number {
    return this.#messages;
  }

  /** Deletes the decisions recorded before `olderThan`; a large delete runs as long as a commit, so it runs here too. */
  pruneDecisions(olderThan: string): Promise<number> {
    return this.#send<number>({ kind: 'pruneDecisions', olderThan });
  }

  /** Deletes the request-log rows created before `olderThan`, on the writer as pruneDecisions. */
  pruneRequestLogs(olderThan: string): Promise<number> {
    return this.#send<number>({ kind: 'pruneRequestLogs', olderThan });
  }

  /**
   * Commits ledger entries in one transaction, synced to disk (the worker's connection runs synchronous=FULL); resolves
   * with SqliteRowWriter.commitLedger's verdicts.
   */
  async commitLedger(entries: readonly LedgerEntry[]): Promise<LedgerEntryVerdict[]> {
    if (entries.length === 0) return [];
    return this.#send<LedgerEntryVerdict[]>({ kind: 'commitLedger', entries: stringifyLedgerEntries(entries) });
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
    return new Promise<unknown>((resolve, reject) => {
      const posted = this.#number(worker, request, { resolve, reject });
      const riders = this.#riders.splice(0).map((rider) => this.#number(worker, rider.request, rider.pending));
      // A ledger commit goes first (the worker answers it before the log batches); any other write after them.
      const message = request.kind === 'commitLedger' ? [posted, ...riders] : [...riders, posted];
      if (request.kind === 'commitLedger') this.#ledgerCommits.add(posted.id);
      this.#postMessage(worker, message);
    });
  }

  /** Gives the request its id and registers its answer. */
  #number(worker: Worker, request: Request, pending: Pending): SqliteWriteRequest {
    const id = ++this.#lastId;
    // Idle, the worker must not keep the process alive; while a write is pending it must, or an `await` on the write
    // could end the process before the commit.
    if (this.#pending.size === 0) worker.ref();
    this.#pending.set(id, pending);
    return { ...request, id } as SqliteWriteRequest;
  }

  #postMessage(worker: Worker, requests: SqliteWriteRequest[]): void {
    this.#messages += 1;
    worker.postMessage(requests);
  }

  /** Queues a log batch for the next message (see the class); resolves once it is committed. */
  #carry(request: Request): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new Error(`the SQLite store at ${this.path} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.#riders.push({ request, pending: { resolve: () => resolve(), reject } });
      this.#scheduleRiders();
    });
  }

  // A ledger commit in flight is followed at once by the next (the ledger posts it as the answer arrives, within the
  // same turn), which carries the riders; with none in flight, they go by themselves at the end of this turn unless
  // a write posted meanwhile took them.
  #scheduleRiders(): void {
    if (this.#ridersScheduled || this.#riders.length === 0 || this.#ledgerCommits.size > 0) return;
    this.#ridersScheduled = true;
    setImmediate(() => {
      this.#ridersScheduled = false;
      if (this.#riders.length === 0 || this.#ledgerCommits.size > 0 || this.#closing !== undefined) return;
      const worker = this.#worker ?? this.#start();
      this.#postMessage(
        worker,
        this.#riders.splice(0).map((rider) => this.#number(worker, rider.request, rider.pending)),
      );
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
    if (this.#ledgerCommits.delete(reply.id)) this.#scheduleRiders();
  }

  #rejectAll(error: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#ledgerCommits.clear();
    for (const { reject } of pending) reject(error);
    // Riders not yet posted go to the next worker.
    this.#scheduleRiders();
  }

  async #stop(): Promise<void> {
    // Log batches still waiting go ahead of the `close`, in its message.
    const worker = this.#worker ?? (this.#riders.length > 0 ? this.#start() : undefined);
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
