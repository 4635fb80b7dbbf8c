// The half-open probe lock over Redis: one replica at a time probes a route, for a lease as long as an attempt may
// take (`SET key NX PX lease`); the holder asking again renews its own lease instead of being refused by it.
import type { Redis } from 'ioredis';

/** Grants the probe of a route to one replica at a time. */
export interface ProbeLock {
  /** True when this replica holds the route's probe for `leaseMs` from now; rejects when Redis cannot answer. */
  claim(routeId: string, leaseMs: number): Promise<boolean>;
}

/** Longest lease granted: a probe never keeps a route from the other replicas for more than an hour. */
const MAX_LEASE_MS = 3_600_000;

// Atomic: take the lock when free, renew it when this replica holds it, else refuse.
const CLAIM_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

/** Probe locks under `<prefix>probe:<route id>`, held in this replica's name. */
export class RedisProbeLock implements ProbeLock {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #holder: string;

  constructor(redis: Redis, keyPrefix: string, holder: string) {
    this.#redis = redis;
    this.#keyPrefix = keyPrefix;
    this.#holder = holder;
  }

  async claim(routeId: string, leaseMs: number): Promise<boolean> {
    const lease = Math.min(MAX_LEASE_MS, Math.max(1, Math.ceil(leaseMs)));
    const granted = await this.#redis.eval(CLAIM_SCRIPT, 1, `${this.#keyPrefix}probe:${routeId}`, this.#holder, String(lease));
    return granted === 1;
  }
}
