// Routing decisions, kept for `GET /v1/crossway/decisions/{id}`: recorded off the hot path through group commit,
// readable at once (from the queue until committed, on every replica when they share decisions), and pruned after the
// retention window.
import { createTimeOrderedId } from './create-time-ordered-id.ts';
import {
  BatchWriter,
  type BatchWriterLogger,
  type BatchWriterOptions,
  type BatchWriterStats,
  type DecisionRecord,
  type DecisionRow,
  type Store,
  type StoredDecisionPlan,
} from '../store/index.ts';

export interface DecisionLogOptions extends Omit<BatchWriterOptions, 'label'> {
  /** How long a decision stays readable (the catalog's `decisions.retention_hours`); default 24. */
  retentionHours?: number;
  /** How often decisions older than the retention are deleted; default every 10 minutes (and once at start). */
  pruneIntervalMs?: number;
  /** The clock (tests). */
  now?: () => Date;
  logger?: BatchWriterLogger;
  /** Where the other replicas read the decisions this one queued before they are stored. None: this process alone. */
  shared?: SharedDecisions;
}

/**
 * Decisions queued on any replica, readable by all until their batch commits (the cluster part implements it; calls/
 * knows no transport). A replica that cannot reach it reads its own queue and the store, as alone.
 */
export interface SharedDecisions {
  /** Shares a decision just queued; never throws, never waits. */
  put(record: DecisionRecord): void;
  /** A decision some replica queued recently, or null; may reject when the other replicas cannot be reached. */
  get(id: string): Promise<DecisionRecord | null>;
}

/** A fresh decision id, as sent in `x-crossway-decision`. */
export function createDecisionId(): string {
  return createTimeOrderedId('dec');
}

/** The gateway's decision log: `record()` queues, `get()` reads, a timer prunes. Long-lived: close() it at shutdown. */
export class DecisionLog {
  readonly #store: Pick<Store, 'getDecision' | 'pruneDecisions'>;
  readonly #writer: BatchWriter<DecisionRow>;
  readonly #retentionMs: number;
  readonly #now: () => Date;
  readonly #logger: BatchWriterLogger;
  readonly #shared: SharedDecisions | undefined;
  readonly #pruneTimer: NodeJS.Timeout;
  #pruning: Promise<number> | undefined;

  /** Call after the store's migrations ran: the first prune starts at once. */
  constructor(store: Pick<Store, 'insertDecisions' | 'getDecision' | 'pruneDecisions'>, options: DecisionLogOptions = {}) {
    const { retentionHours = 24, pruneIntervalMs = 10 * 60_000, now = () => new Date(), logger = console, shared, ...writerOptions } = options;
    this.#shared = shared;
    this.#store = store;
    this.#writer = new BatchWriter((rows, insertOptions) => store.insertDecisions(rows, insertOptions), { ...writerOptions, logger, label: 'decision log' });
    this.#retentionMs = retentionHours * 3_600_000;
    this.#now = now;
    this.#logger = logger;
    this.#pruneTimer = setInterval(() => this.#pruneInBackground(), pruneIntervalMs);
    // Pruning is housekeeping: it must not keep the process alive.
    this.#pruneTimer.unref();
    this.#pruneInBackground();
  }

  get stats(): BatchWriterStats {
    return this.#writer.stats;
  }

  /**
   * Queues a decision; never waits for the database and never throws. `plan` is the record's model, constraints,
   * kept and rejected as stored, when the caller made it once for many records (toPlannedDecision); the store keeps
   * it once and the decision as a reference to it. Without it, the store derives it from the record.
   */
  record(record: DecisionRecord, plan?: StoredDecisionPlan): void {
    const created_at = this.#now().toISOString();
    this.#writer.record(plan === undefined ? { created_at, record } : { created_at, record, plan });
    this.#shared?.put(record);
  }

  /** The decision with this id, recorded a moment ago (still queued) or earlier (stored); null when unknown or pruned. */
  async get(id: string): Promise<DecisionRecord | null> {
    // The queue first: a client may ask right after its response, before the batch commits. Checking it before the
    // store cannot miss a decision, which moves from the queue to the store and never back.
    const pending = this.#writer.findPending((row) => row.record.id === id);
    if (pending !== undefined) return pending.record;
    // Then what other replicas queued: their queues commit to the store later, and never the other way round either.
    // Unreachable peers are the cluster's to report (once, not per lookup): the store is read as when alone.
    const shared = await this.#shared?.get(id).catch(() => null);
    return shared ?? this.#store.getDecision(id);
  }

  /** Deletes the stored decisions older than the retention window now; resolves with how many went. */
  prune(): Promise<number> {
    // One prune at a time: a slow delete must not pile up behind the timer.
    this.#pruning ??= this.#store.pruneDecisions(new Date(this.#now().getTime() - this.#retentionMs).toISOString()).finally(() => (this.#pruning = undefined));
    return this.#pruning;
  }

  /** Resolves once every recorded decision is stored. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Stops pruning and stores what is queued; decisions recorded afterwards are dropped. */
  async close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    await this.#pruning?.catch(() => {});
    await this.#writer.close();
  }

  #pruneInBackground(): void {
    this.prune().catch((error: unknown) => this.#logger.error({ err: error }, 'decision log prune failed; retried at the next interval'));
  }
}
