// Counters in Redis, shared by every replica: each admission and each settlement is one Lua script (one round trip,
// atomic on the server, timed by Redis's clock). A budget's first use costs one more round trip to load its spend.
import type { Redis } from 'ioredis';
import {
  BatchedCounters,
  describeTake,
  roomOf,
  type AdmitBatch,
  type AdmitResult,
  type BudgetReading,
  type BudgetState,
  type SettleBatch,
} from './counters.ts';
import { ADMIT_SCRIPT, MAX_COUNTER_AMOUNT, SETTLE_SCRIPT } from './redis-counter-scripts.ts';

/**
 * A budget untouched for this long expires in Redis and is reloaded from the ledger on its next use. Long enough that
 * no call outlives it (a budget in use is refreshed by every call); a reservation a crashed replica never settled goes
 * with it.
 */
export const DEFAULT_REDIS_BUDGET_TTL_MS = 6 * 3_600_000;

/** Most takes plus reservations (or adjusts plus settlements) in one batch: a call has at most six. */
const MAX_BATCH = 64;

/** Most times an admission goes back for budgets that expired between its load and its script. */
const MAX_LOAD_PASSES = 3;

export interface RedisCountersOptions {
  /** The connection; RedisCounters defines its scripts on it. */
  client: Redis;
  /** Prefix of every key (the configuration's `redis.key_prefix`); counters live under `<prefix>counters:`. */
  keyPrefix: string;
  budgetTtlMs?: number;
  /** Whether close() also closes the client (true when the counters own it). */
  closeClient?: boolean;
}

/** A Redis command failed (connection lost, timeout, server error): FailoverCounters then serves local limits. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  readonly code = 'redis_unavailable';
}

type ScriptReply = [string, ...unknown[]];

interface ScriptClient {
  crosswayCountersAdmit(...args: (string | number)[]): Promise<ScriptReply>;
  crosswayCountersSettle(...args: (string | number)[]): Promise<unknown>;
}

/** Redis-backed Counters: the shared limits of several replicas. */
export class RedisCounters extends BatchedCounters {
  readonly #client: Redis;
  readonly #scripts: ScriptClient;
  readonly #prefix: string;
  readonly #budgetTtlMs: number;
  readonly #closeClient: boolean;
  /** First loads of budgets under way in this process, shared by every concurrent first use of the key. */
  readonly #loading = new Map<string, Promise<bigint>>();
  #roundTrips = 0;
  #closed = false;

  constructor(options: RedisCountersOptions) {
    super();
    this.#client = options.client;
    this.#prefix = `${options.keyPrefix}counters:`;
    this.#budgetTtlMs = options.budgetTtlMs ?? DEFAULT_REDIS_BUDGET_TTL_MS;
    this.#closeClient = options.closeClient ?? false;
    // defineCommand sends EVALSHA and falls back to EVAL once per connection when the server lacks the script.
    this.#client.defineCommand('crosswayCountersAdmit', { lua: ADMIT_SCRIPT });
    this.#client.defineCommand('crosswayCountersSettle', { lua: SETTLE_SCRIPT });
    this.#scripts = this.#client as unknown as ScriptClient;
  }

  /** Scripts sent to Redis so far (each one round trip): the bench divides it by admitted requests. */
  get roundTrips(): number {
    return this.#roundTrips;
  }

  /** The connection, for health probes. */
  get client(): Redis {
    return this.#client;
  }

  async admit(batch: AdmitBatch): Promise<AdmitResult> {
    // Nothing to take nor reserve costs no round trip.
    if (batch.takes.length + batch.reservations.length === 0) return { ok: true, takes: [], reservations: [], refused: null };
    checkBatchSize(batch.takes.length + batch.reservations.length);
    for (const take of batch.takes) checkRate(take.cost, take.limit, take.windowMs);
    for (const reservation of batch.reservations) {
      checkAmount(reservation.amount);
      checkAmount(roomOf(reservation));
    }
    const keys = [...batch.takes.map((take) => this.#prefix + take.key), ...batch.reservations.map((reservation) => this.#prefix + reservation.key)];
    const loaded = new Map<number, bigint>();
    for (let pass = 0; ; pass += 1) {
      const args: (string | number)[] = [batch.takes.length, batch.reservations.length, this.#budgetTtlMs];
      for (const take of batch.takes) args.push(take.cost, take.limit, take.windowMs);
      batch.reservations.forEach((reservation, index) => {
        args.push(reservation.amount.toString(), roomOf(reservation).toString(), clampLimit(reservation.limit).toString(), loaded.get(index)?.toString() ?? '');
      });
      const reply = await this.#run(() => this.#scripts.crosswayCountersAdmit(keys.length, ...keys, ...args));
      if (reply[0] !== 'load') return this.#readAdmit(batch, reply);
      // Budgets Redis does not hold: their spend comes from the ledger, then the script runs again with it.
      if (pass >= MAX_LOAD_PASSES) throw new RedisUnavailableError('budgets keep expiring between their load and their admission');
      const indexes = reply[1] as number[];
      const spends = await Promise.all(indexes.map((index) => this.#load(batch.reservations[index]!.key, batch.reservations[index]!.loadSpent)));
      for (const [position, index] of indexes.entries()) loaded.set(index, spends[position]!);
    }
  }

  async settleAll(batch: SettleBatch): Promise<void> {
    const settlements = [...batch.settlements, ...batch.releases.map((release) => ({ ...release, actual: 0n }))];
    if (batch.adjusts.length + settlements.length === 0) return;
    checkBatchSize(batch.adjusts.length + settlements.length);
    for (const adjust of batch.adjusts) checkRate(Math.abs(adjust.amount), adjust.limit, adjust.windowMs);
    for (const settlement of settlements) {
      checkAmount(settlement.reserved);
      checkAmount(settlement.actual);
    }
    const keys = [...batch.adjusts.map((adjust) => this.#prefix + adjust.key), ...settlements.map((settlement) => this.#prefix + settlement.key)];
    const args: (string | number)[] = [batch.adjusts.length, settlements.length, this.#budgetTtlMs];
    for (const adjust of batch.adjusts) args.push(adjust.amount, adjust.limit, adjust.windowMs);
    for (const settlement of settlements) args.push(settlement.reserved.toString(), settlement.actual.toString());
    await this.#run(() => this.#scripts.crosswayCountersSettle(keys.length, ...keys, ...args));
  }

  /**
   * One HMGET of the budget's hash: a plain read (no script, nothing written, the TTL untouched), and not counted in
   * `roundTrips`, which counts the admissions and settlements of calls.
   */
  async readBudget(key: string): Promise<BudgetReading | null> {
    let held: (string | null)[];
    try {
      held = await this.#client.hmget(this.#prefix + key, 's', 'r');
    } catch (error) {
      throw new RedisUnavailableError(`Redis did not answer: ${(error as Error).message}`, { cause: error });
    }
    const [spent, reserved] = held;
    if (spent === null || spent === undefined) return null;
    return { spent: BigInt(spent), reserved: BigInt(reserved ?? '0') };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#closeClient) this.#client.disconnect();
  }

  /** One script: counted, and any failure of Redis turned into RedisUnavailableError (without the server's address). */
  async #run<T>(send: () => Promise<T>): Promise<T> {
    this.#roundTrips += 1;
    try {
      return await send();
    } catch (error) {
      throw new RedisUnavailableError(`Redis did not answer: ${(error as Error).message}`, { cause: error });
    }
  }

  #readAdmit(batch: AdmitBatch, reply: ScriptReply): AdmitResult {
    const [status] = reply;
    const units = (status === 'ok' ? reply[1] : reply[3]) as string[];
    const states = (status === 'ok' ? reply[2] : reply[4]) as string[];
    const takes = units.map((held, index) => {
      const take = batch.takes[index]!;
      return describeTake(Number(held), take.cost, take.limit, take.windowMs);
    });
    const reservations: BudgetState[] = [];
    for (let index = 0; index * 2 < states.length; index += 1) {
      const spent = BigInt(states[index * 2]!);
      const reserved = BigInt(states[index * 2 + 1]!);
      const reservation = batch.reservations[index]!;
      const ok = status === 'ok' || index < states.length / 2 - 1;
      reservations.push({ ok, spent, reserved, limit: reservation.limit });
    }
    if (status === 'ok') return { ok: true, takes, reservations, refused: null };
    if (status !== 'refused') throw new RedisUnavailableError(`unexpected answer from the admission script: ${String(status)}`);
    return { ok: false, takes, reservations, refused: { kind: reply[1] === 'take' ? 'take' : 'reservation', index: Number(reply[2]) } };
  }

  /** Loads a budget's spend once for all concurrent first uses in this process; a failed load is retried by the next use. */
  #load(key: string, loadSpent: () => Promise<bigint>): Promise<bigint> {
    let loading = this.#loading.get(key);
    if (loading === undefined) {
      loading = (async () => {
        try {
          const spent = await loadSpent();
          checkAmount(spent);
          return spent;
        } finally {
          this.#loading.delete(key);
        }
      })();
      this.#loading.set(key, loading);
    }
    return loading;
  }
}

function checkBatchSize(size: number): void {
  if (size > MAX_BATCH) throw new RangeError(`a counters batch holds at most ${MAX_BATCH} operations, not ${size}`);
}

function checkRate(cost: number, limit: number, windowMs: number): void {
  if (!Number.isFinite(cost) || cost < 0 || !Number.isFinite(limit) || limit <= 0 || !Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(`invalid rate operation: cost ${cost}, limit ${limit}, window ${windowMs} ms`);
  }
}

/** Budget amounts are exact in Redis below MAX_COUNTER_AMOUNT micro-units (10^18 units of a currency): beyond, refused. */
function checkAmount(amount: bigint): void {
  if (amount < 0n || amount >= MAX_COUNTER_AMOUNT) throw new RangeError(`budget amount ${amount} is outside 0 .. 10^24 micro-units`);
}

/**
 * A limit at or beyond MAX_COUNTER_AMOUNT (10^18 units of a currency; the budget schema does not bound it) is kept as
 * the largest exact amount: no spend can reach either, so the answer is the same. A negative limit admits nothing.
 */
function clampLimit(limit: bigint): bigint {
  if (limit < 0n) return 0n;
  return limit >= MAX_COUNTER_AMOUNT ? MAX_COUNTER_AMOUNT - 1n : limit;
}
