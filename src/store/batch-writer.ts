// Group commit: callers queue rows and move on; a timer writes the queue in batches, one transaction each, with
// retries and a bounded queue while the database fails. The request log and the decision log both write through it.

/** The two logger methods the writer uses; a pino logger and `console` both fit. */
export interface BatchWriterLogger {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Commits one batch in one transaction; `skipDuplicates` makes a retried batch whose commit was lost idempotent. */
export type InsertBatch<T> = (rows: readonly T[], options: { skipDuplicates: boolean }) => Promise<void>;

export interface BatchWriterOptions {
  /** Most rows in one transaction. */
  maxBatch?: number;
  /** How long a row may wait for companions before its batch is written. */
  flushIntervalMs?: number;
  /** Most rows held while the store is failing; beyond it the oldest are dropped. */
  maxQueue?: number;
  /** Cap on the doubling delay between attempts while the store keeps failing. */
  maxRetryDelayMs?: number;
  logger?: BatchWriterLogger;
  /** What the rows are, for log messages (e.g. `request log`). */
  label?: string;
}

/** Counters for metrics and tests. */
export interface BatchWriterStats {
  queued: number;
  written: number;
  dropped: number;
  /** Transactions committed. */
  batches: number;
  /** Write attempts that failed. */
  failures: number;
}

/** Writes rows off the caller's hot path: `record()` only queues; batches are committed in the background. */
export class BatchWriter<T> {
  readonly #insert: InsertBatch<T>;
  readonly #maxBatch: number;
  readonly #flushIntervalMs: number;
  readonly #maxQueue: number;
  readonly #maxRetryDelayMs: number;
  readonly #logger: BatchWriterLogger;
  readonly #label: string;
  #queue: T[] = [];
  /** The batch being committed: no longer queued, not yet readable from the store. */
  #inFlight: readonly T[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #consecutiveFailures = 0;
  #closed = false;
  #warnedClosed = false;
  #droppedUnreported = 0;
  #stats: BatchWriterStats = { queued: 0, written: 0, dropped: 0, batches: 0, failures: 0 };

  constructor(insert: InsertBatch<T>, options: BatchWriterOptions = {}) {
    this.#insert = insert;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#flushIntervalMs = options.flushIntervalMs ?? 50;
    this.#maxQueue = options.maxQueue ?? 10_000;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
    this.#logger = options.logger ?? console;
    this.#label = options.label ?? 'batch';
  }

  get stats(): BatchWriterStats {
    return { ...this.#stats, queued: this.#queue.length };
  }

  /** Queues a row; never waits for the database and never throws. */
  record(row: T): void {
    if (this.#closed) {
      this.#stats.dropped += 1;
      if (!this.#warnedClosed)
        this.#logger.warn({ droppedTotal: this.#stats.dropped }, `${this.#label} writer is closed; this row and any later ones are dropped`);
      this.#warnedClosed = true;
      return;
    }
    this.#queue.push(row);
    this.#trimQueue();
    // A running write schedules the next one when it ends.
    if (this.#writing !== undefined) return;
    if (this.#queue.length >= this.#maxBatch && this.#consecutiveFailures === 0) this.#schedule(0);
    else if (this.#timer === undefined) this.#schedule(this.#nextDelay());
  }

  /** The newest recorded row matching `predicate` that is not yet committed (queued or being written), if any. */
  findPending(predicate: (row: T) => boolean): T | undefined {
    return this.#queue.findLast(predicate) ?? this.#inFlight.findLast(predicate);
  }

  /** Resolves once the queue is empty, rows recorded meanwhile included; rejects if a write fails (the rows stay queued and are retried). */
  async flush(): Promise<void> {
    while (this.#writing !== undefined || this.#queue.length > 0) {
      // A background write reports its own failure; this loop then tries again itself.
      if (this.#writing !== undefined) await this.#writing.catch(() => {});
      else await this.#write();
    }
  }

  /** Stops the timer and flushes; rows recorded afterwards are dropped. Rejects if the last flush fails. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    await this.flush();
  }

  #schedule(delayMs: number): void {
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#writing !== undefined || this.#queue.length === 0) return;
      this.#write().catch((error: unknown) => {
        this.#logger.error(
          { err: error, queued: this.#queue.length, consecutiveFailures: this.#consecutiveFailures },
          `${this.#label} write failed; rows kept for the next attempt`,
        );
      });
    }, delayMs);
    // Pending rows must not keep the process alive; shutdown calls close() to write them.
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #nextDelay(): number {
    if (this.#consecutiveFailures === 0) return this.#queue.length >= this.#maxBatch ? 0 : this.#flushIntervalMs;
    return Math.min(this.#flushIntervalMs * 2 ** this.#consecutiveFailures, this.#maxRetryDelayMs);
  }

  // One write at a time: batches commit in recording order, and a single-connection store gains nothing from more.
  #write(): Promise<void> {
    this.#reportDrops();
    const batch = this.#queue.splice(0, this.#maxBatch);
    this.#inFlight = batch;
    this.#writing = this.#insert(batch, { skipDuplicates: true })
      .then(
        () => {
          this.#consecutiveFailures = 0;
          this.#stats.written += batch.length;
          this.#stats.batches += 1;
        },
        (error: unknown) => {
          this.#consecutiveFailures += 1;
          this.#stats.failures += 1;
          this.#queue = batch.concat(this.#queue);
          this.#trimQueue();
          throw error;
        },
      )
      .finally(() => {
        this.#inFlight = [];
        this.#writing = undefined;
        if (!this.#closed && this.#queue.length > 0) this.#schedule(this.#nextDelay());
      });
    return this.#writing;
  }

  #trimQueue(): void {
    const excess = this.#queue.length - this.#maxQueue;
    if (excess > 0) {
      this.#queue.splice(0, excess);
      this.#stats.dropped += excess;
      this.#droppedUnreported += excess;
    }
  }

  // Drops are reported once per write attempt, not once per row, so an outage cannot flood the log.
  #reportDrops(): void {
    if (this.#droppedUnreported === 0) return;
    this.#logger.warn({ dropped: this.#droppedUnreported, droppedTotal: this.#stats.dropped }, `${this.#label} queue full; oldest rows dropped`);
    this.#droppedUnreported = 0;
  }
}
