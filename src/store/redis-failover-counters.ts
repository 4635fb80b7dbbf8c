// Counters that use Redis while it answers and the process's own memory while it does not: requests keep being
// served with local limits during an outage (logged once, shown on /readyz), and shared limits resume when Redis
// answers a probe again.
import { type AdmitBatch, type AdmitResult, BatchedCounters, type BudgetReading, type SettleBatch } from './counters.ts';
import { MemoryCounters } from './memory-counters.ts';
import { type RedisCounters, RedisUnavailableError } from './redis-counters.ts';

/** How often Redis is probed while it is unreachable. */
export const DEFAULT_REDIS_PROBE_INTERVAL_MS = 1_000;

/** What the failover logs with (a pino Logger fits): a warning per outage, a note when it ends. */
export interface CountersLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/** The origin of an admission made on Redis; local ones are `local-<outage>`, so that settlements find their counters. */
const SHARED = 'shared';

export interface RedisFailoverCountersOptions {
  shared: RedisCounters;
  /** Opens the counters of one outage (a fresh MemoryCounters by default). */
  openLocal?: () => MemoryCounters;
  logger: CountersLogger;
  probeIntervalMs?: number;
  now?: () => Date;
}

/** Whether the shared counters are in use, for /readyz. */
export type CountersHealth = { state: 'ok' } | { state: 'unreachable'; since: string };

/** Redis counters with a local fallback. */
export class RedisFailoverCounters extends BatchedCounters {
  readonly #shared: RedisCounters;
  readonly #openLocal: () => MemoryCounters;
  /**
   * The local counters of the current outage and of the one before (whose calls may still be settling), by origin.
   * Each outage starts afresh: spend loaded from the ledger, not left over from an outage minutes ago.
   */
  readonly #locals = new Map<string, MemoryCounters>();
  #outages = 0;
  readonly #logger: CountersLogger;
  readonly #probeIntervalMs: number;
  readonly #now: () => Date;
  #unreachableSince: Date | null = null;
  #probe: NodeJS.Timeout | null = null;
  #probing = false;
  #closed = false;

  constructor(options: RedisFailoverCountersOptions) {
    super();
    this.#shared = options.shared;
    this.#openLocal = options.openLocal ?? (() => new MemoryCounters());
    this.#logger = options.logger;
    this.#probeIntervalMs = options.probeIntervalMs ?? DEFAULT_REDIS_PROBE_INTERVAL_MS;
    this.#now = options.now ?? (() => new Date());
  }

  /** `ok`, or since when Redis has been unreachable. */
  health(): CountersHealth {
    return this.#unreachableSince === null ? { state: 'ok' } : { state: 'unreachable', since: this.#unreachableSince.toISOString() };
  }

  /** The health in words, for `/readyz`'s `checks.redis`. */
  describeHealth(): string {
    const health = this.health();
    return health.state === 'ok' ? 'ok' : `unreachable since ${health.since}: serving local limits`;
  }

  /** The shared counters' round trips (for the bench). */
  get roundTrips(): number {
    return this.#shared.roundTrips;
  }

  /** Switches to local limits (a command failed, or Redis gave no connection at start): logged once per outage. */
  markUnreachable(reason: unknown): void {
    if (this.#unreachableSince !== null || this.#closed) return;
    this.#unreachableSince = this.#now();
    this.#outages += 1;
    this.#locals.set(`local-${this.#outages}`, this.#openLocal());
    const stale = `local-${this.#outages - 2}`;
    void this.#locals.get(stale)?.close();
    this.#locals.delete(stale);
    // The reason names the failure only (its code), never the server's address or credentials.
    this.#logger.warn({ reason: failureCode(reason) }, 'Redis is unreachable: serving local rate limits and budgets until it answers again');
    this.#probe = setInterval(() => void this.#tryShared(), this.#probeIntervalMs);
    this.#probe.unref();
  }

  async admit(batch: AdmitBatch): Promise<AdmitResult> {
    if (this.#unreachableSince === null) {
      try {
        return { ...(await this.#shared.admit(batch)), origin: SHARED };
      } catch (error) {
        // A failed ledger load (or any error of the caller's) is the caller's; only Redis failing switches over.
        if (!(error instanceof RedisUnavailableError)) throw error;
        this.markUnreachable(error);
      }
    }
    const origin = `local-${this.#outages}`;
    return { ...(await this.#locals.get(origin)!.admit(batch)), origin };
  }

  async settleAll(batch: SettleBatch): Promise<void> {
    const origin = batch.origin ?? (this.#unreachableSince === null ? SHARED : `local-${this.#outages}`);
    if (origin !== SHARED) {
      // The counters of an outage two outages ago are gone, and what they held with them.
      await this.#locals.get(origin)?.settleAll(batch);
      return;
    }
    try {
      await this.#shared.settleAll(batch);
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error;
      // The call is over and billed in the ledger; its reservation stays in Redis until the budget's idle expiry.
      this.markUnreachable(error);
    }
  }

  /** The budget as the counters in use hold it: Redis while it answers, else this outage's local counters. */
  async readBudget(key: string): Promise<BudgetReading | null> {
    if (this.#unreachableSince === null) {
      try {
        return await this.#shared.readBudget(key);
      } catch (error) {
        if (!(error instanceof RedisUnavailableError)) throw error;
        this.markUnreachable(error);
      }
    }
    return (await this.#locals.get(`local-${this.#outages}`)?.readBudget(key)) ?? null;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#probe !== null) clearInterval(this.#probe);
    this.#probe = null;
    await this.#shared.close();
    for (const local of this.#locals.values()) await local.close();
    this.#locals.clear();
  }

  /** One probe: Redis answering a PING ends the outage. */
  async #tryShared(): Promise<void> {
    if (this.#probing || this.#unreachableSince === null) return;
    this.#probing = true;
    try {
      await this.#shared.client.ping();
      if (this.#probe !== null) clearInterval(this.#probe);
      this.#probe = null;
      const since = this.#unreachableSince.toISOString();
      this.#unreachableSince = null;
      this.#logger.info({ since }, 'Redis answers again: shared rate limits and budgets resume');
    } catch {
      // Still unreachable: the next probe tries again.
    } finally {
      this.#probing = false;
    }
  }
}

/** What failed, as a code (`ECONNREFUSED`, `ETIMEDOUT`) or an error name; never a message that may hold an address. */
function failureCode(reason: unknown): string {
  let current: unknown = reason;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'redis_unavailable') return code;
    current = current.cause;
  }
  return reason instanceof Error ? reason.name : 'unknown';
}
