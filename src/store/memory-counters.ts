// Counters for one process: token buckets and budgets in Maps. JavaScript runs each operation's check-and-update
// without an await in between, which is what makes every operation atomic per key.
import type { BudgetState, Counters, RateWindowResult } from './counters.ts';

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
export class MemoryCounters implements Counters {
  readonly #now: () => number;
  readonly #budgetIdleMs: number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #budgets = new Map<string, Budget>();
  /** First loads of budgets under way, shared by every concurrent first use of the key. */
  readonly #loading = new Map<string, Promise<Budget>>();
  #lastSweepAt: number;

  constructor(options: MemoryCountersOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#budgetIdleMs = options.budgetIdleMs ?? DEFAULT_BUDGET_IDLE_MS;
    this.#lastSweepAt = this.#now();
  }

  /** How many buckets and budgets are held (for tests and metrics: it must not grow without bound). */
  get size(): { buckets: number; budgets: number } {
    return { buckets: this.#buckets.size, budgets: this.#budgets.size };
  }

  async take(key: string, cost: number, limit: number, windowMs: number): Promise<RateWindowResult> {
    const now = this.#now();
    this.#sweepIfDue(now);
    const bucket = this.#refill(key, limit, windowMs, now);
    const rate = limit / windowMs;
    const allowed = cost <= limit && cost <= bucket.tokens;
    if (allowed) bucket.tokens -= cost;
    const resetMs = Math.max(0, Math.ceil((limit - bucket.tokens) / rate));
    const retryAfterMs = allowed ? 0 : cost > limit ? resetMs : Math.max(1, Math.ceil((cost - bucket.tokens) / rate));
    return { allowed, limit, remaining: Math.max(0, Math.floor(bucket.tokens)), resetMs, retryAfterMs };
  }

  async adjust(key: string, amount: number, limit: number, windowMs: number): Promise<void> {
    const now = this.#now();
    const bucket = this.#refill(key, limit, windowMs, now);
    bucket.tokens = Math.min(limit, bucket.tokens + amount);
  }

  async reserve(key: string, amount: bigint, limit: bigint, loadSpent: () => Promise<bigint>): Promise<BudgetState> {
    const now = this.#now();
    this.#sweepIfDue(now);
    let budget = this.#budgets.get(key);
    if (budget === undefined) {
      const loaded = await this.#load(key, loadSpent);
      // Nothing awaits between here and the update below, so the check and the reservation are one step.
      budget = this.#budgets.get(key);
      if (budget === undefined) {
        budget = loaded;
        this.#budgets.set(key, budget);
      }
    }
    budget.lastUsedAt = this.#now();
    const ok = budget.spent + budget.reserved + amount <= limit;
    if (ok) {
      budget.reserved += amount;
      budget.outstanding += 1;
    }
    return { ok, spent: budget.spent, reserved: budget.reserved, limit };
  }

  async settle(key: string, reserved: bigint, actual: bigint): Promise<void> {
    const budget = this.#budgets.get(key);
    // Without an entry there is nothing to correct: the next first use loads the spend from the ledger.
    if (budget === undefined) return;
    budget.reserved = maxBigint(0n, budget.reserved - reserved);
    budget.spent += actual;
    budget.outstanding = Math.max(0, budget.outstanding - 1);
    budget.lastUsedAt = this.#now();
  }

  async release(key: string, reserved: bigint): Promise<void> {
    await this.settle(key, reserved, 0n);
  }

  async close(): Promise<void> {
    this.#buckets.clear();
    this.#budgets.clear();
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
