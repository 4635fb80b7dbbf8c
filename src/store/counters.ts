// The counters contract behind rate limits and budgets: in memory for one process (MemoryCounters), Redis when
// several replicas share the limits (the scale-out work). Every operation is atomic per key: concurrent callers can
// never both take the last unit.

/** The state of a rate-limit window after a take. */
export interface RateWindowResult {
  /** Whether `cost` was taken. */
  allowed: boolean;
  limit: number;
  /** Units left after this take (or now, when refused); never below 0 in the answer. */
  remaining: number;
  /** Milliseconds until the window is full again (OpenAI's `x-ratelimit-reset-*`). */
  resetMs: number;
  /** When refused: milliseconds until `cost` units will be available (`retry-after`); 0 when allowed. */
  retryAfterMs: number;
}

/** A budget after a reservation attempt. */
export interface BudgetState {
  /** Whether `amount` was reserved. */
  ok: boolean;
  /** Settled spend in the period. */
  spent: bigint;
  /** Outstanding reservations, this one included when ok. */
  reserved: bigint;
  limit: bigint;
}

/** Atomic counters shared by everything that limits traffic. Keys are opaque strings chosen by the caller. */
export interface Counters {
  /**
   * A token bucket of capacity `limit` per `windowMs`, refilled continuously (`limit / windowMs` per ms) and full at
   * first use. Takes `cost` only when all of it is available; a cost above `limit` is never allowed.
   */
  take(key: string, cost: number, limit: number, windowMs: number): Promise<RateWindowResult>;
  /**
   * Corrects an earlier take without a check: a positive amount returns units (never above `limit`), a negative one
   * takes more (the bucket may go below zero, which delays later takes). Used to settle a token reservation to use.
   */
  adjust(key: string, amount: number, limit: number, windowMs: number): Promise<void>;
  /**
   * Reserves `amount` of a budget when `spent + reserved + amount <= limit`. The first use of a key (or the first
   * after it was evicted) initialises `spent` from `loadSpent` (the ledger); concurrent first uses share one load.
   */
  reserve(key: string, amount: bigint, limit: bigint, loadSpent: () => Promise<bigint>): Promise<BudgetState>;
  /** Ends a reservation with the actual amount: `reserved -= reserved`, `spent += actual`. */
  settle(key: string, reserved: bigint, actual: bigint): Promise<void>;
  /** Cancels a reservation: `reserved -= reserved`. */
  release(key: string, reserved: bigint): Promise<void>;
  /** Releases connections and timers; idempotent. */
  close(): Promise<void>;
}
