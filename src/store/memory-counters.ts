// Counters for one process: token buckets and budgets in Maps. JavaScript runs each operation's check-and-update
// without an await in between, which is what makes every operation atomic per key.
import {
  BatchedCounters,
  describeTake,
  roomOf,
  type AdmitBatch,
  type AdmitResult,
  type BudgetReading,
  type BudgetState,
  type RateWindowResult,
  type SettleBatch,
} from './counters.ts';

/** A budget entry with no outstanding reservation is dropped after this long without use (reloaded from the ledger). */
export const DEFAULT_BUDGET_IDLE_MS = 10 * 60 * 1000;

/** How often, at most, an operation also sweeps idle entries (no timer: sweeps ride on operations). */
const SWEEP_INTERVAL_MS = 60 * 1000;

export interface MemoryCountersOptions {
  /** Milliseconds clock (tests inject one); defaults to Date.now. */
  now?: () => number;
  /** How long an unused budget entry without reservations is kept; defaults to DEFAULT_BUDGET_IDLE_MS. */
  budgetIdleMs?: number;
}

interface Bucket {
  /** Units available at `updatedAt`; below zero after an adjust took more than there was. */
  tokens: number;
  updatedAt: number;
  limit: number;
  windowMs: number;
}

interface Budget {
  spent: bigint;
  reserved: bigint;
  /** Reservations not yet settled or released: an entry with any is never evicted. */
  outstanding: number;
  lastUsedAt: number;
}

/** In-memory Counters: the default for a single replica. */
export class MemoryCounters extends BatchedCounters {
  readonly #now: () => number;
  readonly #budgetIdleMs: number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #budgets = new Map<string, Budget>();
  /** First loads of budgets under way, shared by every concurrent first use of the key. */
  readonly #loading = new Map<string, Promise<Budget>>();
  #lastSweepAt: number;

  constructor(options: MemoryCountersOptions = {}) {
    super();
    this.#now = options.now ?? Date.now;
    this.#budgetIdleMs = options.budgetIdleMs ?? DEFAULT_BUDGET_IDLE_MS;
    this.#lastSweepAt = this.#now();
  }

  /** How many buckets and budgets are held (for tests and metrics: it must not grow without bound). */
  get size(): { buckets: number; budgets: number } {
    return { buckets: this.#buckets.size, budgets: this.#budgets.size };
  }

  async admit(batch: AdmitBatch): Promise<AdmitResult> {
    this.#sweepIfDue(this.#now());
    // Budgets seen for the first time load their spend first; a sweep by another operation during the await may have
    // dropped one again, hence the loop (in practice one pass).
    for (let pass = 0; pass < 3; pass += 1) {
      const missing = batch.reservations.filter((reservation) => !this.#budgets.has(reservation.key));
      if (missing.length === 0) break;
      const loaded = await Promise.all(missing.map((reservation) => this.#load(reservation.key, reservation.loadSpent)));
      missing.forEach((reservation, index) => {
        if (!this.#budgets.has(reservation.key)) this.#budgets.set(reservation.key, loaded[index]!);
      });
    }
    // From here on nothing awaits: every check and every update below is one step.
    const now = this.#now();
    const takes: RateWindowResult[] = [];
    const tokensAfter = new Map<string, number>();
    for (const [index, take] of batch.takes.entries()) {
      const bucket = this.#refill(take.key, take.limit, take.windowMs, now);
      const tokens = tokensAfter.get(take.key) ?? bucket.tokens;
      const result = describeTake(tokens, take.cost, take.limit, take.windowMs);
      takes.push(result);
      if (!result.allowed) return { ok: false, takes, reservations: [], refused: { kind: 'take', index } };
      tokensAfter.set(take.key, tokens - take.cost);
    }
    const reservations: BudgetState[] = [];
    const reservedAfter = new Map<string, bigint>();
    for (const [index, reservation] of batch.reservations.entries()) {
      const budget = this.#budgetOf(reservation.key, now);
      const reserved = reservedAfter.get(reservation.key) ?? budget.reserved;
      const ok = budget.spent + reserved + roomOf(reservation) <= reservation.limit;
      reservations.push({ ok, spent: budget.spent, reserved: ok ? reserved + reservation.amount : reserved, limit: reservation.limit });
      if (!ok) return { ok: false, takes, reservations, refused: { kind: 'reservation', index } };
      reservedAfter.set(reservation.key, reserved + reservation.amount);
    }
    for (const [key, tokens] of tokensAfter) this.#buckets.get(key)!.tokens = tokens;
    for (const reservation of batch.reservations) this.#budgetOf(reservation.key, now).outstanding += 1;
    for (const [key, reserved] of reservedAfter) this.#budgetOf(key, now).reserved = reserved;
    return { ok: true, takes, reservations, refused: null };
  }

  async settleAll(batch: SettleBatch): Promise<void> {
    const now = this.#now();
    for (const adjust of batch.adjusts) {
      const bucket = this.#refill(adjust.key, adjust.limit, adjust.windowMs, now);
      bucket.tokens = Math.min(adjust.limit, bucket.tokens + adjust.amount);
    }
    const ends = [...batch.settlements, ...batch.releases.map((release) => ({ ...release, actual: 0n }))];
    for (const { key, reserved, actual } of ends) {
      const budget = this.#budgets.get(key);
      // Without an entry there is nothing to correct: the next first use loads the spend from the ledger.
      if (budget === undefined) continue;
      budget.reserved = maxBigint(0n, budget.reserved - reserved);
      budget.spent += actual;
      budget.outstanding = Math.max(0, budget.outstanding - 1);
      budget.lastUsedAt = now;
    }
  }

  async readBudget(key: string): Promise<BudgetReading | null> {
    // Not marked as used: reading a budget (the admin API, the dashboard) must not keep an idle entry alive.
    const budget = this.#budgets.get(key);
    return budget === undefined ? null : { spent: budget.spent, reserved: budget.reserved };
  }

  async close(): Promise<void> {
    this.#buckets.clear();
    this.#budgets.clear();
  }

  /** The budget entry of `key`, present after admit's loads (nothing awaits in between), marked as used now. */
  #budgetOf(key: string, now: number): Budget {
    const budget = this.#budgets.get(key);
    if (budget === undefined) throw new Error(`budget ${key} vanished during an admission`);
    budget.lastUsedAt = now;
    return budget;
  }

  /** The bucket of `key` refilled up to `now` (created full), under the limit and window of this call. */
  #refill(key: string, limit: number, windowMs: number, now: number): Bucket {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: limit, updatedAt: now, limit, windowMs };
      this.#buckets.set(key, bucket);
      return bucket;
    }
    const elapsed = Math.max(0, now - bucket.updatedAt);
    // A changed limit takes effect at once: refill at the new rate and never hold more than the new capacity.
    bucket.tokens = Math.min(limit, bucket.tokens + (elapsed * limit) / windowMs);
    bucket.updatedAt = now;
    bucket.limit = limit;
    bucket.windowMs = windowMs;
    return bucket;
  }

  /** Loads a budget's settled spend once for all concurrent first uses; a failed load is retried by the next use. */
  #load(key: string, loadSpent: () => Promise<bigint>): Promise<Budget> {
    let loading = this.#loading.get(key);
    if (loading === undefined) {
      loading = (async () => {
        try {
          const spent = await loadSpent();
          return { spent, reserved: 0n, outstanding: 0, lastUsedAt: this.#now() };
        } finally {
          this.#loading.delete(key);
        }
      })();
      this.#loading.set(key, loading);
    }
    return loading;
  }

  /**
   * Drops what carries no information: a bucket that has refilled completely equals a missing one (buckets start
   * full), and a budget without reservations is reloaded from the ledger on its next use. Keys of past periods and
   * of deleted keys thus go away instead of piling up.
   */
  #sweepIfDue(now: number): void {
    if (now - this.#lastSweepAt < SWEEP_INTERVAL_MS) return;
    this.#lastSweepAt = now;
    for (const [key, bucket] of this.#buckets) {
      const tokens = bucket.tokens + (Math.max(0, now - bucket.updatedAt) * bucket.limit) / bucket.windowMs;
      if (tokens >= bucket.limit) this.#buckets.delete(key);
    }
    for (const [key, budget] of this.#budgets) {
      if (budget.outstanding === 0 && now - budget.lastUsedAt >= this.#budgetIdleMs) this.#budgets.delete(key);
    }
  }
}

function maxBigint(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
