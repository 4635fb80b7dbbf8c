// The ledger service: prices each call, builds its transfers and proposed revenue shares, and group-commits them durably.
import type { Agreement, Route } from '../catalog/index.ts';
import { activeSpanContext, type GatewayTracing, type SpanContext } from '../observe/index.ts';
import { USAGE_EVENT_COLUMNS, type LedgerCommitResult, type LedgerEntry, type Store, type TransferRecord, type UsageEventRecord } from '../store/index.ts';
import { getShareCap } from './accrue-revenue-share.ts';
import { buildTransfers } from './build-transfers.ts';
import { MeteringError } from './metering-error.ts';
import type { Micro } from './money.ts';
import type { Price, TokenUsage } from './price-usage.ts';

/** One finished call as the gateway hands it to the ledger. */
export interface MeteredCall {
  /** `evt_` + time-ordered id, made by the caller: the ledger's idempotency key for this call. */
  id: string;
  request_id: string;
  tenant: string;
  /** The virtual key, or null for the master key. */
  key_id: string | null;
  endpoint: string;
  /** The Crossway model the call was served as. */
  model: string;
  route: Pick<Route, 'id' | 'provider' | 'region' | 'price'>;
  usage: TokenUsage;
  /** True when the cloud reported no usage and Crossway counted the tokens. */
  estimated: boolean;
  latency_ms: number;
  status: number;
  /** ISO 8601 instants; stored normalised to `toISOString()` form so that text order is time order. */
  started_at: string;
  completed_at: string;
  /** The tenant's margin over cost as a decimal string (`"0.25"` = +25%); null = none. */
  margin: string | null;
}

/** What the ledger holds for a call once record() resolved. */
export interface RecordedUsage {
  event: UsageEventRecord;
  transfers: TransferRecord[];
  /** `replayed`: this event id was already recorded with the same amounts; nothing new was written. */
  outcome: 'committed' | 'replayed';
}

/** Counters of the group commit, for metrics and tests. */
export interface LedgerStats {
  /** Events written (replays not counted). */
  eventsCommitted: number;
  /** Successful commitLedger calls. */
  batches: number;
  /** Most entries in one commitLedger call. */
  largestBatch: number;
  /** commitLedger calls that threw (each retry counts). */
  failedCommits: number;
}

/** The few logger methods the ledger uses (a pino logger fits). */
export interface LedgerLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface LedgerOptions {
  store: Pick<Store, 'commitLedger'>;
  /** The catalog's agreements; those with a `revenue_share` accrue on matching calls. */
  agreements: readonly Agreement[];
  logger?: LedgerLogger;
  /** Most calls per commitLedger (default 512). */
  maxBatch?: number;
  /** Waits before each retry of a failed commit; its length is the number of retries (default 10, 50, 200 ms). */
  retryDelaysMs?: readonly number[];
  /** How many recently recorded events are remembered to answer replays without the store (default 4096). */
  rememberedEvents?: number;
  /** A span per committed batch, linked to the calls it commits; none when null or absent (tracing off). */
  tracing?: GatewayTracing | null;
}

interface PendingCall {
  call: MeteredCall;
  resolve: (recorded: RecordedUsage) => void;
  reject: (error: unknown) => void;
  /** The span of the call that recorded it (tracing on), linked from its batch's span. */
  span?: SpanContext | null;
}

interface BuiltEntry {
  pending: PendingCall;
  entry: LedgerEntry;
}

const zeroPrice: Price = { input: 0, output: 0, currency: 'USD' };

/** The agreements with a revenue share, and the cap of each capped one, parsed once (micro-units of its currency). */
interface ShareTerms {
  agreements: Agreement[];
  caps: Map<string, Micro>;
}

function toShareTerms(agreements: readonly Agreement[]): ShareTerms {
  const withShare = agreements.filter((agreement) => agreement.revenue_share !== undefined);
  const caps = new Map<string, Micro>();
  for (const { id, revenue_share: share } of withShare) if (share?.cap !== undefined) caps.set(id, getShareCap(share, share.cap.currency)!);
  return { agreements: withShare, caps };
}

/**
 * Records every metered call as a usage event plus its double-entry transfers, durably, before the caller answers.
 *
 * Group commit: at most one `commitLedger` is in flight; calls arriving meanwhile queue and go together in the next
 * batch (at most `maxBatch`), so concurrent requests share one synced transaction.
 *
 * Revenue shares: the ledger proposes, the store decides. Each call carries the share it owes under each agreement
 * before the cumulative cap (at most the cap), and the cap; the store decides inside the commit transaction, against
 * the stored accrual under a lock, how much of it is still owed, and answers the transfers it wrote. So a cap is split
 * exactly once at the call that crosses it, whatever the number of processes writing the database. The ledger keeps
 * no accrual of its own: one could only lag behind the database (other writers), and it saved one locked read of an
 * accrual row per batch, not per call.
 *
 * If a commit fails, it is retried (with the same entries) a few times; if it keeps failing every call of the batch
 * is rejected: nothing of it is written (one transaction).
 */
export class Ledger {
  readonly #store: LedgerOptions['store'];
  /** The agreements calls accrue under; one value, so that replacing the agreements is one assignment. */
  #shares: ShareTerms;
  readonly #logger: LedgerLogger | undefined;
  readonly #maxBatch: number;
  readonly #retryDelaysMs: readonly number[];
  readonly #rememberedLimit: number;
  readonly #tracing: GatewayTracing | null;
  #queue: PendingCall[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;
  /** Recently recorded events by id, oldest first (Map keeps insertion order), to answer replays in memory. */
  readonly #recent = new Map<string, RecordedUsage>();
  readonly #stats: LedgerStats = { eventsCommitted: 0, batches: 0, largestBatch: 0, failedCommits: 0 };

  constructor(options: LedgerOptions) {
    this.#store = options.store;
    this.#shares = toShareTerms(options.agreements);
    this.#logger = options.logger;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 512);
    this.#retryDelaysMs = options.retryDelaysMs ?? [10, 50, 200];
    this.#rememberedLimit = Math.max(0, options.rememberedEvents ?? 4096);
    this.#tracing = options.tracing ?? null;
  }

  /**
   * Prices the call, builds its transfers and commits them with the next batch; resolves once that batch is durable.
   * Rejects with a MeteringError when the call cannot be priced (code `invalid_amount`, `currency_mismatch`, ...) or
   * its id is stored with other amounts (`ledger_conflict`), and with the store's error when the commit keeps failing.
   */
  record(call: MeteredCall): Promise<RecordedUsage> {
    if (this.#closed) return Promise.reject(new MeteringError('the ledger is closed', 'ledger_closed'));
    return new Promise<RecordedUsage>((resolve, reject) => {
      this.#queue.push(this.#tracing === null ? { call, resolve, reject } : { call, resolve, reject, span: activeSpanContext(this.#tracing) });
      this.#startDraining();
    });
  }

  /** Resolves once every call recorded so far has been committed or rejected. */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Refuses new calls (`ledger_closed`) and waits for the queued ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  /**
   * Takes a reloaded catalog's agreements: batches from the next one on accrue by them. Accruals are kept per
   * agreement id (in the store), so an agreement that stays keeps its accrued share (and its cap) across the reload.
   */
  replaceAgreements(agreements: readonly Agreement[]): void {
    this.#shares = toShareTerms(agreements);
  }

  /** Calls waiting for a group commit (the batch being committed not included). */
  get queued(): number {
    return this.#queue.length;
  }

  /** A snapshot of the group-commit counters. */
  stats(): LedgerStats {
    return { ...this.#stats };
  }

  #startDraining(): void {
    if (this.#draining) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0) this.#startDraining();
    });
  }

  async #drain(): Promise<void> {
    // Yield once so that calls made in the same tick (Promise.all) share the first batch too.
    await Promise.resolve();
    while (this.#queue.length > 0) await this.#commitBatch(this.#takeBatch());
  }

  /** Takes up to maxBatch calls; a second call with an id already in this batch waits for the next one. */
  #takeBatch(): PendingCall[] {
    const batch: PendingCall[] = [];
    const ids = new Set<string>();
    const deferred: PendingCall[] = [];
    while (this.#queue.length > 0 && batch.length < this.#maxBatch) {
      const pending = this.#queue.shift()!;
      if (ids.has(pending.call.id)) deferred.push(pending);
      else {
        ids.add(pending.call.id);
        batch.push(pending);
      }
    }
    this.#queue.unshift(...deferred);
    return batch;
  }

  async #commitBatch(batch: PendingCall[]): Promise<void> {
    const built: BuiltEntry[] = [];
    for (const pending of batch) {
      try {
        const event = toEventRecord(pending.call);
        const remembered = this.#recent.get(event.id);
        if (remembered) {
          pending.resolve(replayFromMemory(remembered, priceEvent(pending.call, event)));
          continue;
        }
        built.push({ pending, entry: this.#buildEntry(pending.call, event) });
      } catch (error) {
        pending.reject(error);
      }
    }
    if (built.length === 0) return;

    const span = this.#tracing?.startLedgerCommit(
      built.length,
      built.flatMap(({ pending }) => (pending.span ? [pending.span] : [])),
    );
    const results = await this.#commitWithRetries(built.map(({ entry }) => entry));
    span?.setAttribute('crossway.ledger.outcome', results instanceof Error ? 'failed' : 'committed');
    span?.end();
    if (results instanceof Error) {
      for (const { pending } of built) pending.reject(results);
      return;
    }
    built.forEach(({ pending, entry }, index) => {
      const { outcome, transfers } = results[index]!;
      if (outcome === 'conflict') {
        pending.reject(new MeteringError(`usage event ${entry.event.id} is already recorded with other amounts or transfers`, 'ledger_conflict'));
        return;
      }
      const recorded: RecordedUsage = { event: entry.event, transfers, outcome };
      if (outcome === 'committed') this.#stats.eventsCommitted += 1;
      this.#remember(recorded);
      pending.resolve(recorded);
    });
  }

  /**
   * The call's entry: its event priced, its charge and cost, and per agreement in term and scope the share it owes
   * before the cumulative cap (built as if nothing had accrued yet, so at most the cap), with the cap for the store.
   */
  #buildEntry(call: MeteredCall, event: UsageEventRecord): LedgerEntry {
    const price = call.route.price ?? zeroPrice;
    const built = buildTransfers({
      event: { id: event.id, tenant: event.tenant, provider: event.provider, model: event.model, timestamp: event.completed_at, usage: call.usage },
      price,
      margin: call.margin ?? '0',
      agreements: this.#shares.agreements.map((agreement) => ({ agreement, accrued: 0n })),
    });
    let shareCaps: Record<string, Micro> | undefined;
    const transfers = built.transfers.map((transfer): TransferRecord => {
      // A share is in the cap's currency: buildTransfers refused an event in any other (currency_mismatch).
      const cap = transfer.agreement_id === undefined ? undefined : this.#shares.caps.get(transfer.agreement_id);
      if (cap !== undefined) {
        // Without a prototype, an agreement named `__proto__` is a key like any other.
        shareCaps ??= Object.create(null) as Record<string, Micro>;
        shareCaps[transfer.agreement_id!] = cap;
      }
      return {
        id: transfer.id,
        event_id: transfer.event_id,
        debit: transfer.debit,
        credit: transfer.credit,
        amount: transfer.amount,
        currency: transfer.currency,
        kind: transfer.kind,
        agreement_id: transfer.agreement_id ?? null,
        created_at: event.completed_at,
      };
    });
    const entry: LedgerEntry = { event: { ...event, currency: built.currency, cost: built.cost, charged: built.charged }, transfers };
    if (shareCaps !== undefined) entry.share_caps = shareCaps;
    return entry;
  }

  /** The results, or the last error once every retry failed. */
  async #commitWithRetries(entries: LedgerEntry[]): Promise<LedgerCommitResult[] | Error> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const results = await this.#store.commitLedger(entries);
        if (results.length !== entries.length)
          throw new MeteringError(`commitLedger answered ${results.length} results for ${entries.length} entries`, 'ledger_commit_failed');
        this.#stats.batches += 1;
        this.#stats.largestBatch = Math.max(this.#stats.largestBatch, entries.length);
        return results;
      } catch (error) {
        this.#stats.failedCommits += 1;
        const delay = this.#retryDelaysMs[attempt];
        if (delay === undefined) {
          this.#logger?.error({ err: error, entries: entries.length, attempts: attempt + 1 }, 'ledger: commit failed; rejecting the batch');
          return error instanceof Error ? error : new MeteringError(String(error), 'ledger_commit_failed');
        }
        this.#logger?.warn({ err: error, entries: entries.length, attempt: attempt + 1 }, 'ledger: commit failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #remember(recorded: RecordedUsage): void {
    if (this.#rememberedLimit === 0) return;
    this.#recent.delete(recorded.event.id);
    this.#recent.set(recorded.event.id, recorded);
    if (this.#recent.size > this.#rememberedLimit) this.#recent.delete(this.#recent.keys().next().value!);
  }
}

/** The event as stored, amounts not yet priced; throws a MeteringError on an unreadable timestamp. */
function toEventRecord(call: MeteredCall): UsageEventRecord {
  return {
    id: call.id,
    request_id: call.request_id,
    tenant: call.tenant,
    key_id: call.key_id,
    endpoint: call.endpoint,
    model: call.model,
    route: call.route.id,
    provider: call.route.provider,
    region: call.route.region,
    input_tokens: call.usage.input_tokens,
    cached_tokens: call.usage.cached_tokens,
    output_tokens: call.usage.output_tokens,
    reasoning_tokens: call.usage.reasoning_tokens ?? 0,
    estimated: call.estimated,
    latency_ms: call.latency_ms,
    status: call.status,
    started_at: normalizeInstant(call.started_at, 'started_at'),
    completed_at: normalizeInstant(call.completed_at, 'completed_at'),
    currency: call.route.price?.currency ?? zeroPrice.currency,
    cost: 0n,
    charged: 0n,
  };
}

// `Date.prototype.toISOString()`'s own form, which callers almost always pass: kept as it is without a round trip.
const CANONICAL_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function normalizeInstant(text: string, name: string): string {
  if (CANONICAL_INSTANT.test(text)) return text;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new MeteringError(`${name} ${JSON.stringify(text)} is not an ISO 8601 instant`, 'invalid_timestamp');
  return new Date(ms).toISOString();
}

/** The event with its cost and charge (no revenue share: that depends on the accruals, not on the call). */
function priceEvent(call: MeteredCall, event: UsageEventRecord): UsageEventRecord {
  const built = buildTransfers({
    event: { id: event.id, tenant: event.tenant, provider: event.provider, model: event.model, timestamp: event.completed_at, usage: call.usage },
    price: call.route.price ?? zeroPrice,
    margin: call.margin ?? '0',
  });
  return { ...event, currency: built.currency, cost: built.cost, charged: built.charged };
}

/**
 * A call whose id this ledger recorded recently: the same call again is a replay (answered with the recorded event and
 * transfers, nothing written); the same id with any other field or amount is a conflict, as the store would judge it.
 */
function replayFromMemory(remembered: RecordedUsage, event: UsageEventRecord): RecordedUsage {
  const stored = remembered.event;
  const differing = USAGE_EVENT_COLUMNS.filter((field) => stored[field] !== event[field]);
  if (differing.length > 0) {
    throw new MeteringError(`usage event ${event.id} is already recorded with other ${differing.join(', ')}`, 'ledger_conflict');
  }
  return { event: remembered.event, transfers: remembered.transfers, outcome: 'replayed' };
}
