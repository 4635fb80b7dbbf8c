// Routing decisions a replica queued, readable by every replica before their batch commits: each is written to Redis
// with a short time to live as it is queued (the decisions of one turn of the event loop in one command, sent after the
// turn, off the response path, never awaited), and read back only when a lookup misses the local queue.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { DecisionRecord } from '../store/index.ts';

export interface RedisSharedDecisionsOptions {
  /** The configuration's `redis.key_prefix`. */
  keyPrefix: string;
  /**
   * How long a queued decision stays in Redis: longer than a batch takes to commit (milliseconds; seconds while the
   * store retries), short enough that Redis holds only the last minute of decisions. Default 60 s.
   */
  ttlMs?: number;
}

/** A decision larger than this is not shared (its replica still stores it): a plan of dozens of routes is ~20 KB. */
const MAX_SHARED_DECISION_BYTES = 256 * 1024;
/** Decision ids are `dec_` + 32 hex digits; anything far longer is not looked up. */
const MAX_ID_LENGTH = 128;
/** Most decisions waiting to be sent; past it (Redis slower than the requests) newer ones are not shared. */
const MAX_PENDING = 10_000;
/** Most decisions in one command. */
const MAX_PER_COMMAND = 500;
// One SET with PX per decision, as one command: ioredis builds one command object per batch instead of one per SET,
// 0.4 to 0.7 times the CPU of a pipeline of SETs (bench/scenarios/cluster-bus.ts measures both in one run).
const SET_ALL_SCRIPT = `local ttl = ARGV[#ARGV]
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i], 'PX', ttl) end
return #KEYS`;

/** What a decision read back from Redis must look like: written by another process, it is input like any other. */
const decisionSchema = z.looseObject({
  id: z.string().max(MAX_ID_LENGTH),
  tenant: z.string().nullable().optional(),
  model: z.string(),
  at: z.string(),
  constraints: z.record(z.string(), z.unknown()),
  kept: z.array(z.looseObject({ route: z.string(), provider: z.string(), region: z.string(), rank: z.number(), basis: z.string() })),
  rejected: z.array(
    z.looseObject({ route: z.string(), provider: z.string(), region: z.string(), reasons: z.array(z.object({ code: z.string(), detail: z.string() })) }),
  ),
  attempts: z.array(z.looseObject({ route: z.string(), status: z.number(), latency_ms: z.number(), error: z.string().nullable() })),
  notes: z.array(z.string()).optional(),
});

/** Decisions under `<prefix>decision:<id>`. */
export class RedisSharedDecisions {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #ttlMs: number;
  #pending: DecisionRecord[] = [];
  #sending: Promise<void> = Promise.resolve();

  constructor(redis: Redis, options: RedisSharedDecisionsOptions) {
    this.#redis = redis;
    this.#keyPrefix = options.keyPrefix;
    this.#ttlMs = options.ttlMs ?? 60_000;
  }

  /** Shares a decision just queued; never throws, never waits (while Redis is unreachable it is simply not shared). */
  put(record: DecisionRecord): void {
    if (this.#pending.length >= MAX_PENDING) return;
    this.#pending.push(record);
    if (this.#pending.length === 1) setImmediate(() => this.#send());
  }

  /** Resolves once the decisions put so far were sent and answered (or failed). */
  async flush(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await this.#sending;
  }

  #send(): void {
    const records = this.#pending;
    this.#pending = [];
    const sent: Promise<unknown>[] = [];
    for (let start = 0; start < records.length; start += MAX_PER_COMMAND) {
      const keys: string[] = [];
      const values: string[] = [];
      for (const record of records.slice(start, start + MAX_PER_COMMAND)) {
        const json = JSON.stringify(record);
        if (json.length > MAX_SHARED_DECISION_BYTES || Buffer.byteLength(json) > MAX_SHARED_DECISION_BYTES) continue;
        keys.push(this.#key(record.id));
        values.push(json);
      }
      if (keys.length > 0) sent.push(this.#redis.eval(SET_ALL_SCRIPT, keys.length, ...keys, ...values, String(this.#ttlMs)));
    }
    this.#sending = Promise.allSettled(sent).then(() => {});
  }

  /** The decision a replica queued in the last `ttlMs`, or null (also for anything in Redis that is not a decision). */
  async get(id: string): Promise<DecisionRecord | null> {
    if (id.length > MAX_ID_LENGTH) return null;
    const json = await this.#redis.get(this.#key(id));
    if (json === null || json.length > MAX_SHARED_DECISION_BYTES) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return null;
    }
    const record = decisionSchema.safeParse(parsed);
    return record.success && record.data.id === id ? (record.data as DecisionRecord) : null;
  }

  #key(id: string): string {
    return `${this.#keyPrefix}decision:${id}`;
  }
}
