// The retry budget: concurrent retries stay within a share of the active requests, so that failover cannot multiply
// the load on clouds that are already failing. Envoy's retry budget and its defaults (20 %, at least 3):
// https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/circuit_breaker.proto (RetryBudget).

export interface RetryBudgetOptions {
  /** Concurrent retries allowed as a percentage of active requests. */
  percent: number;
  /** Concurrent retries always allowed, however few requests are active. */
  minConcurrency: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = { percent: 20, minConcurrency: 3 };

/** How many retries may be in flight at once while `active` requests are: max(percent % of active, minConcurrency). */
export function allowedRetries(active: number, options: RetryBudgetOptions): number {
  return Math.max(Math.floor((active * options.percent) / 100), options.minConcurrency);
}

/** Counts active requests and in-flight retries of one executor. Long-lived: one per executor. */
export class RetryBudget {
  readonly #options: RetryBudgetOptions;
  #active = 0;
  #retries = 0;

  constructor(options: RetryBudgetOptions = DEFAULT_RETRY_BUDGET) {
    this.#options = options;
  }

  /** Requests under way: being routed, or streaming an answer. */
  get active(): number {
    return this.#active;
  }

  /** Attempts beyond their request's first that are under way. */
  get retries(): number {
    return this.#retries;
  }

  /** Retries allowed in flight right now. */
  get allowed(): number {
    return allowedRetries(this.#active, this.#options);
  }

  requestStarted(): void {
    this.#active += 1;
  }

  requestEnded(): void {
    this.#active -= 1;
  }

  /** Takes a retry slot if the budget has one; the caller gives it back with retryEnded(). */
  tryStartRetry(): boolean {
    if (this.#retries >= this.allowed) return false;
    this.#retries += 1;
    return true;
  }

  retryEnded(): void {
    this.#retries -= 1;
  }
}
