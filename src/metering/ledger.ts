// The ledger service: prices each call, builds its transfers and revenue-share accruals, and group-commits them durably.
import type { Agreement, Route } from '../catalog/index.ts';
import type { LedgerCommitOutcome, LedgerEntry, Store, TransferRecord, UsageEventRecord } from '../store/index.ts';
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
  store: Pick<Store, 'commitLedger' | 'listAgreementAccruals'>;
  /** The catalog's agreements; those with a `revenue_share` accrue on matching calls. */
  agreements: readonly Agreement[];
  logger?: LedgerLogger;
  /** Most calls per commitLedger (default 512). */
  maxBatch?: number;
  /** Waits before each retry of a failed commit; its length is the number of retries (default 10, 50, 200 ms). */
  retryDelaysMs?: readonly number[];
  /** How many recently recorded events are remembered to answer replays without the store (default 4096). */
  rememberedEvents?: number;
}

interface PendingCall {
  call: MeteredCall;
  resolve: (recorded: RecordedUsage) => void;
  reject: (error: unknown) => void;
}

interface BuiltEntry {
  pending: PendingCall;
  entry: LedgerEntry;
  /** The share each agreement accrued with this entry, keyed like the accrual cache. */
  shares: Map<string, Micro>;
}

const accrualKey = (agreementId: string, currency: string) => `${agreementId}\u0000${currency}`;
const zeroPrice: Price = { input: 0, output: 0, currency: 'USD' };

/**
 * Records every metered call as a usage event plus its double-entry transfers, durably, before the caller answers.
 *
 * Group commit: at most one `commitLedger` is in flight; calls arriving meanwhile queue and go together in the next
 * batch (at most `maxBatch`), so concurrent requests share one synced transaction. A batch is assembled serially:
 * each call's transfers and revenue-share accruals are built against an in-memory accrual per (agreement, currency),
 * loaded from the store at `load()` and advanced call by call, which is what lets the cap be split exactly at the
 * call that crosses it. The cache is right only while this ledger is the store's one writer of accruals (one process
 * per database; several replicas would each need the accruals from the database inside the commit).
 *
 * If a commit fails, it is retried (with the same entries) a few times; if it keeps failing the cache goes back to
 * its state before the batch and every call of the batch is rejected: nothing of it is written (one transaction).
 */
export class Ledger {
  readonly #store: LedgerOptions['store'];
  #shareAgreements: Agreement[];
  readonly #logger: LedgerLogger | undefined;
  readonly #maxBatch: number;
  readonly #retryDelaysMs: readonly number[];
  readonly #rememberedLimit: number;
  #accruals: Map<string, Micro> | undefined;
  #loading: Promise<void> | undefined;
  #queue: PendingCall[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;
  /** Recently recorded events by id, oldest first (Map keeps insertion order), to answer replays in memory. */
  readonly #recent = new Map<string, RecordedUsage>();
  readonly #stats: LedgerStats = { eventsCommitted: 0, batches: 0, largestBatch: 0, failedCommits: 0 };

  constructor(options: LedgerOptions) {
    this.#store = options.store;
    this.#shareAgreements = options.agreements.filter((agreement) => agreement.revenue_share !== undefined);
    this.#logger = options.logger;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 512);
    this.#retryDelaysMs = options.retryDelaysMs ?? [10, 50, 200];
    this.#rememberedLimit = Math.max(0, options.rememberedEvents ?? 4096);
  }

  /**
   * Reads the agreements' accruals from the store; record() calls it on first use when the caller has not, and again
   * after a batch that may have left the in-memory accruals off the stored ones (a failed commit, a stored replay).
   */
  load(): Promise<void> {
    this.#loading ??= this.#readAccruals().catch((error: unknown) => {
      this.#loading = undefined;
      throw error;
    });
    return this.#loading;
  }

  /**
   * Prices the call, builds its transfers and commits them with the next batch; resolves once that batch is durable.
   * Rejects with a MeteringError when the call cannot be priced (code `invalid_amount`, `currency_mismatch`, ...) or
   * its id is stored with other amounts (`ledger_conflict`), and with the store's error when the commit keeps failing.
   */
  record(call: MeteredCall): Promise<RecordedUsage> {
    if (this.#closed) return Promise.reject(new MeteringError('the ledger is closed', 'ledger_closed'));
    return new Promise<RecordedUsage>((resolve, reject) => {
      this.#queue.push({ call, resolve, reject });
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
   * agreement id, so an agreement that stays keeps its accrued share (and its cap) across the reload.
   */
  replaceAgreements(agreements: readonly Agreement[]): void {
    this.#shareAgreements = agreements.filter((agreement) => agreement.revenue_share !== undefined);
  }

  /** A snapshot of the group-commit counters. */
  stats(): LedgerStats {
    return { ...this.#stats };
  }

  /** The cumulative share of an agreement in a currency as the ledger currently counts it (0 when none). */
  accrued(agreementId: string, currency: string): Micro {
    return this.#accruals?.get(accrualKey(agreementId, currency)) ?? 0n;
  }

  async #readAccruals(): Promise<void> {
    const accruals = new Map<string, Micro>();
    for (const record of await this.#store.listAgreementAccruals()) accruals.set(accrualKey(record.agreement_id, record.currency), record.accrued);
    this.#accruals = accruals;
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
    while (this.#queue.length > 0) {
      try {
        await this.load();
      } catch (error) {
        for (const pending of this.#queue.splice(0)) pending.reject(error);
        return;
      }
      await this.#commitBatch(this.#takeBatch());
    }
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
    const accruals = this.#accruals!;
    const before = new Map(accruals);
    const built: BuiltEntry[] = [];
    for (const pending of batch) {
      try {
        const event = toEventRecord(pending.call);
        const remembered = this.#recent.get(event.id);
        if (remembered) {
          pending.resolve(replayFromMemory(remembered, priceEvent(pending.call, event)));
          continue;
        }
        built.push(this.#buildEntry(pending, event, accruals));
      } catch (error) {
        pending.reject(error);
      }
    }
    if (built.length === 0) return;

    const outcomes = await this.#commitWithRetries(built.map(({ entry }) => entry));
    if (outcomes instanceof Error) {
      // Nothing of the batch was written, as far as the store said: the accruals go back to before it. They are read
      // again before the next batch anyway, in case the failed commit did land (a reply lost after the commit).
      this.#accruals = before;
      this.#loading = undefined;
      for (const { pending } of built) pending.reject(outcomes);
      return;
    }
    built.forEach(({ pending, entry, shares }, index) => {
      const outcome = outcomes[index];
      if (outcome !== 'committed' && shares.size > 0) {
        // Its shares were counted in the cache but it wrote nothing: read the truth back before the next batch (only
        // after a restart or a conflict; replays of recent calls were answered from memory above).
        this.#loading = undefined;
        this.#logger?.warn({ event_id: entry.event.id, outcome }, 'ledger: an event already stored carried a revenue share; reloading accruals');
      }
      if (outcome === 'conflict') {
        pending.reject(new MeteringError(`usage event ${entry.event.id} is already recorded with other amounts or transfers`, 'ledger_conflict'));
        return;
      }
      const recorded: RecordedUsage = { event: entry.event, transfers: entry.transfers, outcome: outcome === 'committed' ? 'committed' : 'replayed' };
      if (outcome === 'committed') this.#stats.eventsCommitted += 1;
      this.#remember(recorded);
      pending.resolve(recorded);
    });
  }

  #buildEntry(pending: PendingCall, event: UsageEventRecord, accruals: Map<string, Micro>): BuiltEntry {
    const call = pending.call;
    const price = call.route.price ?? zeroPrice;
    const built = buildTransfers({
      event: { id: event.id, tenant: event.tenant, provider: event.provider, model: event.model, timestamp: event.completed_at, usage: call.usage },
      price,
      margin: call.margin ?? '0',
      agreements: this.#shareAgreements.map((agreement) => ({ agreement, accrued: accruals.get(accrualKey(agreement.id, price.currency)) ?? 0n })),
    });
    const shares = new Map<string, Micro>();
    const capsReached: string[] = [];
    for (const [agreementId, share] of Object.entries(built.shares)) {
      if (share.amount > 0n) shares.set(accrualKey(agreementId, price.currency), share.amount);
      // `capped` means the amount is exactly what was left under the cap: this event brings the accrual to it.
      if (share.reason === 'capped') capsReached.push(agreementId);
    }
    // Advanced only once the whole call built, so that a call that throws leaves the cache untouched.
    for (const [key, amount] of shares) accruals.set(key, (accruals.get(key) ?? 0n) + amount);
    const transfers = built.transfers.map(
      (transfer): TransferRecord => ({
        id: transfer.id,
        event_id: transfer.event_id,
        debit: transfer.debit,
        credit: transfer.credit,
        amount: transfer.amount,
        currency: transfer.currency,
        kind: transfer.kind,
        agreement_id: transfer.agreement_id ?? null,
        created_at: event.completed_at,
      }),
    );
    return {
      pending,
      entry: { event: { ...event, currency: built.currency, cost: built.cost, charged: built.charged }, transfers, caps_reached: capsReached },
      shares,
    };
  }

  /** The outcomes, or the last error once every retry failed. */
  async #commitWithRetries(entries: LedgerEntry[]): Promise<LedgerCommitOutcome[] | Error> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const outcomes = await this.#store.commitLedger(entries);
        if (outcomes.length !== entries.length)
          throw new MeteringError(`commitLedger answered ${outcomes.length} outcomes for ${entries.length} entries`, 'ledger_commit_failed');
        this.#stats.batches += 1;
        this.#stats.largestBatch = Math.max(this.#stats.largestBatch, entries.length);
        return outcomes;
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

const eventFields = [
  'request_id',
  'tenant',
  'key_id',
  'endpoint',
  'model',
  'route',
  'provider',
  'region',
  'input_tokens',
  'cached_tokens',
  'output_tokens',
  'reasoning_tokens',
  'estimated',
  'latency_ms',
  'status',
  'started_at',
  'completed_at',
  'currency',
  'cost',
  'charged',
] as const satisfies readonly (keyof UsageEventRecord)[];

/**
 * A call whose id this ledger recorded recently: the same call again is a replay (answered with the recorded event and
 * transfers, nothing written); the same id with any other field or amount is a conflict, as the store would judge it.
 */
function replayFromMemory(remembered: RecordedUsage, event: UsageEventRecord): RecordedUsage {
  const stored = remembered.event;
  const differing = eventFields.filter((field) => stored[field] !== event[field]);
  if (differing.length > 0) {
    throw new MeteringError(`usage event ${event.id} is already recorded with other ${differing.join(', ')}`, 'ledger_conflict');
  }
  return { event: remembered.event, transfers: remembered.transfers, outcome: 'replayed' };
}
