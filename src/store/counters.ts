// The counters contract behind rate limits and budgets: in memory for one process (MemoryCounters), Redis when
// several replicas share the limits (RedisCounters). Every operation is atomic per key: concurrent callers can never
// both take the last unit. The batched admit/settle do a whole admission or settlement in one step (one round trip).

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

/** A budget's live state as the counters hold it (see Counters.readBudget). */
export interface BudgetReading {
  /** Settled spend in the period: loaded from the ledger at the budget's first use, then kept up by settlements. */
  spent: bigint;
  /** Outstanding reservations of calls in flight. */
  reserved: bigint;
}

/** One take of an admission: `cost` units from the token bucket `key` (see Counters.take). */
export interface TakeRequest {
  key: string;
  cost: number;
  limit: number;
  windowMs: number;
}

/** One budget reservation of an admission (see Counters.reserve). */
export interface ReservationRequest {
  key: string;
  amount: bigint;
  limit: bigint;
  /**
   * Free room the budget must have, at least `amount`; defaults to `amount`. A call that reserves nothing asks for one
   * unit, so that a budget already used up refuses it.
   */
  room?: bigint;
  /** The settled spend from the ledger, called on the first use of the key (or the first after it expired). */
  loadSpent: () => Promise<bigint>;
}

/** Everything one call takes and reserves, all or nothing. */
export interface AdmitBatch {
  takes: readonly TakeRequest[];
  reservations: readonly ReservationRequest[];
}

/** The answer to an AdmitBatch. */
export interface AdmitResult {
  /** True when every take and reservation was made; false when one refused, and then nothing changed. */
  ok: boolean;
  /**
   * The takes in order, each as it was seen after the ones before it. When refused: up to the refusing one (the
   * takes before it were given back, or rather never kept).
   */
  takes: RateWindowResult[];
  /** The reservations in order, as `takes` (empty when a take refused). */
  reservations: BudgetState[];
  /** What refused: takes are checked first, in order, then reservations; null when ok. */
  refused: { kind: 'take' | 'reservation'; index: number } | null;
  /**
   * Which backend holds what was taken (FailoverCounters: `shared` or `local`); pass it back in the SettleBatch so that
   * the settlement reaches the same counters. Opaque; other backends leave it undefined.
   */
  origin?: string;
}

/** A correction of an earlier take (see Counters.adjust). */
export interface AdjustRequest {
  key: string;
  amount: number;
  limit: number;
  windowMs: number;
}

/** The end of a reservation: `reserved` comes off the outstanding reservations, `actual` is added to the spend. */
export interface SettlementRequest {
  key: string;
  reserved: bigint;
  actual: bigint;
}

/** Everything one call corrects, settles and releases at its end. */
export interface SettleBatch {
  adjusts: readonly AdjustRequest[];
  settlements: readonly SettlementRequest[];
  /** Settlements with nothing spent: `reserved` comes off. */
  releases: readonly { key: string; reserved: bigint }[];
  /** The AdmitResult's origin of the admission being settled. */
  origin?: string;
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
  /**
   * Makes every take and every reservation of a call, or none: takes in order, then reservations in order, the first
   * that refuses stops the batch and nothing is kept. One atomic step (one round trip on Redis; a budget's first use
   * loads its spend first, which may cost one more). A reservation also needs `room` free (see ReservationRequest).
   */
  admit(batch: AdmitBatch): Promise<AdmitResult>;
  /** Applies every adjust, settlement and release of a call in one step (one round trip on Redis). */
  settleAll(batch: SettleBatch): Promise<void>;
  /**
   * The budget `key` as the counters hold it now, or null when they hold nothing for it (never used, or evicted or
   * expired since): the ledger then has the spend, and nothing is reserved. Reads only: it loads nothing, creates no
   * entry and does not refresh the budget's idle time (one read on Redis, no script).
   */
  readBudget(key: string): Promise<BudgetReading | null>;
  /** Releases connections and timers; idempotent. */
  close(): Promise<void>;
}

/**
 * The answer to a take of `cost` from a bucket holding `tokens` (refilled up to now), as every backend reports it: the
 * remaining units after the take, when the bucket is full again and, when refused, when `cost` will be available.
 */
export function describeTake(tokens: number, cost: number, limit: number, windowMs: number): RateWindowResult {
  const rate = limit / windowMs;
  const allowed = cost <= limit && cost <= tokens;
  const after = allowed ? tokens - cost : tokens;
  const resetMs = Math.max(0, Math.ceil((limit - after) / rate));
  const retryAfterMs = allowed ? 0 : cost > limit ? resetMs : Math.max(1, Math.ceil((cost - after) / rate));
  return { allowed, limit, remaining: Math.max(0, Math.floor(after)), resetMs, retryAfterMs };
}

/** The free room a reservation needs: its `room` when larger than its amount, else its amount. */
export function roomOf(reservation: Pick<ReservationRequest, 'amount' | 'room'>): bigint {
  return reservation.room !== undefined && reservation.room > reservation.amount ? reservation.room : reservation.amount;
}

/**
 * The single operations of Counters as batches of one, so that a backend implements only `admit`, `settleAll`,
 * `readBudget` and `close` (each of which is one atomic step, one round trip on Redis).
 */
export abstract class BatchedCounters implements Counters {
  abstract admit(batch: AdmitBatch): Promise<AdmitResult>;
  abstract settleAll(batch: SettleBatch): Promise<void>;
  abstract readBudget(key: string): Promise<BudgetReading | null>;
  abstract close(): Promise<void>;

  async take(key: string, cost: number, limit: number, windowMs: number): Promise<RateWindowResult> {
    return (await this.admit({ takes: [{ key, cost, limit, windowMs }], reservations: [] })).takes[0]!;
  }

  async adjust(key: string, amount: number, limit: number, windowMs: number): Promise<void> {
    await this.settleAll({ adjusts: [{ key, amount, limit, windowMs }], settlements: [], releases: [] });
  }

  async reserve(key: string, amount: bigint, limit: bigint, loadSpent: () => Promise<bigint>): Promise<BudgetState> {
    return (await this.admit({ takes: [], reservations: [{ key, amount, limit, loadSpent }] })).reservations[0]!;
  }

  async settle(key: string, reserved: bigint, actual: bigint): Promise<void> {
    await this.settleAll({ adjusts: [], settlements: [{ key, reserved, actual }], releases: [] });
  }

  async release(key: string, reserved: bigint): Promise<void> {
    await this.settleAll({ adjusts: [], settlements: [], releases: [{ key, reserved }] });
  }
}
