// Test support for the core's unit tests: the services a gateway builds (catalog, SQLite store in memory, counters,
// limiter, ledger, plan cache, executor, chain cache), built from real parts with no HTTP server in front, plus what
// the tests read back (recorded decisions, counter operations, usage events, budget state) and call contexts.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildCatalog, type Catalog, type Route } from '../catalog/index.ts';
import { Executor } from '../execute/index.ts';
import { Ledger } from '../metering/index.ts';
import { PlanCache } from '../policy/index.ts';
import { createAuthenticator, getProviderAdapter } from '../providers/index.ts';
import { createCompactionKey, ResponseChainCache } from '../runtime/index.ts';
import {
  type AdmitBatch,
  type AdmitResult,
  type BudgetReading,
  type BudgetState,
  type Counters,
  type DecisionRecord,
  MemoryCounters,
  openSqliteStore,
  type RateWindowResult,
  type SettleBatch,
  type Store,
  type UsageEventRecord,
} from '../store/index.ts';
import { createKeyRequestSchema, createTenantRequestSchema, Limiter, Tenancy } from '../tenancy/index.ts';
import type { CallContext, CallServices, DecisionSink, Principal } from './call-context.ts';
import { createTimeOrderedId } from './create-time-ordered-id.ts';

/** What every test route charges, per 1M tokens. */
export const TEST_ROUTE_PRICE = { input: 5, cached_input: 0.5, output: 30, currency: 'USD' };

/**
 * A priced, streaming OpenAI-wire route to the emulator at `upstream.url` (its API key beside it: this module may not
 * import the emulators), serving `model` as the emulator's `gpt-5.5` deployment; `extra` overrides any field.
 */
export function emulatorRoute(
  upstream: { url: string; apiKey: string },
  id: string,
  model = 'gpt-5.5',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    model,
    provider: 'openai',
    endpoint: `${upstream.url}/v1`,
    deployment: 'gpt-5.5',
    auth: { type: 'bearer', key: upstream.apiKey },
    price: TEST_ROUTE_PRICE,
    capabilities: ['streaming'],
    ...extra,
  };
}

/** One operation on the counters, as RecordingCounters saw it. */
export type CounterOperation =
  | { op: 'take'; key: string; cost: number; allowed: boolean }
  | { op: 'adjust'; key: string; amount: number }
  | { op: 'reserve'; key: string; amount: bigint; ok: boolean }
  | { op: 'settle'; key: string; reserved: bigint; actual: bigint }
  | { op: 'release'; key: string; reserved: bigint };

/** MemoryCounters that also list every operation on them, so that a test can see what was reserved and how it ended. */
export class RecordingCounters implements Counters {
  readonly operations: CounterOperation[] = [];
  readonly #inner = new MemoryCounters();

  async take(key: string, cost: number, limit: number, windowMs: number): Promise<RateWindowResult> {
    const result = await this.#inner.take(key, cost, limit, windowMs);
    this.operations.push({ op: 'take', key, cost, allowed: result.allowed });
    return result;
  }

  async adjust(key: string, amount: number, limit: number, windowMs: number): Promise<void> {
    this.operations.push({ op: 'adjust', key, amount });
    await this.#inner.adjust(key, amount, limit, windowMs);
  }

  async reserve(key: string, amount: bigint, limit: bigint, loadSpent: () => Promise<bigint>): Promise<BudgetState> {
    const state = await this.#inner.reserve(key, amount, limit, loadSpent);
    this.operations.push({ op: 'reserve', key, amount, ok: state.ok });
    return state;
  }

  async settle(key: string, reserved: bigint, actual: bigint): Promise<void> {
    this.operations.push({ op: 'settle', key, reserved, actual });
    await this.#inner.settle(key, reserved, actual);
  }

  async release(key: string, reserved: bigint): Promise<void> {
    this.operations.push({ op: 'release', key, reserved });
    await this.#inner.release(key, reserved);
  }

  async admit(batch: AdmitBatch): Promise<AdmitResult> {
    const result = await this.#inner.admit(batch);
    // One operation per take and reservation the batch looked at; only a batch that was admitted kept any of them.
    result.takes.forEach((_, index) => {
      const take = batch.takes[index]!;
      this.operations.push({ op: 'take', key: take.key, cost: take.cost, allowed: result.ok });
    });
    result.reservations.forEach((_, index) => {
      const reservation = batch.reservations[index]!;
      this.operations.push({ op: 'reserve', key: reservation.key, amount: reservation.amount, ok: result.ok });
    });
    return result;
  }

  async settleAll(batch: SettleBatch): Promise<void> {
    for (const { key, amount } of batch.adjusts) this.operations.push({ op: 'adjust', key, amount });
    for (const { key, reserved, actual } of batch.settlements) this.operations.push({ op: 'settle', key, reserved, actual });
    for (const { key, reserved } of batch.releases) this.operations.push({ op: 'release', key, reserved });
    await this.#inner.settleAll(batch);
  }

  readBudget(key: string): Promise<BudgetReading | null> {
    return this.#inner.readBudget(key);
  }

  /** The budget behind `key` now (spent and outstanding reservations), read without leaving a reservation behind. */
  async budget(key: string): Promise<{ spent: bigint; reserved: bigint }> {
    const state = await this.#inner.reserve(key, 0n, 2n ** 62n, async () => 0n);
    await this.#inner.release(key, 0n);
    return { spent: state.spent, reserved: state.reserved };
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** Keeps every decision in memory, as the gateway's DecisionLog would queue it. */
export interface RecordingDecisionSink extends DecisionSink {
  readonly records: DecisionRecord[];
}

/** What the catalog of a test holds; everything else takes the catalog's defaults. */
export interface TestServicesOptions {
  /** The catalog's `models` and `routes`, as in crossway.yaml. */
  models: Record<string, unknown>[];
  routes: Record<string, unknown>[];
  /** The catalog's `execute` section (attempt timeouts, attempts). */
  execute?: Record<string, unknown>;
  /** An open store to use (migrated here; the caller closes it), e.g. one a second replica shares; a fresh in-memory one otherwise. */
  store?: Store;
}

/** A tenant's or a key's limits, in the admin API's shape (`budget: {limit, currency, period}`). */
export interface TestLimits {
  rpm?: number;
  tpm?: number;
  budget?: { limit: string; currency?: string; period?: 'day' | 'month' | 'total' };
}

/** The services of a gateway (CallServices and the TurnServices fields), and what tests read back from them. */
export interface TestServices extends CallServices {
  store: Store;
  chainCache: ResponseChainCache;
  compactionKey: Buffer;
  tenancy: Tenancy;
  counters: RecordingCounters;
  decisions: RecordingDecisionSink;
  /** The master key's principal: the `default` tenant, no key limits. */
  masterPrincipal(): Promise<Principal>;
  /** A new tenant with one virtual key that carries `limits`, as the key's principal. */
  keyPrincipal(limits: TestLimits): Promise<Principal>;
  /** A call of `principal` under a fresh request id, abandoned when `signal` aborts. */
  contextFor(principal: Principal, signal?: AbortSignal): CallContext;
  /** The usage events recorded for a request id. */
  usageEventsOf(requestId: string): Promise<UsageEventRecord[]>;
  /** Everything logged at warn level and above, one JSON line each. */
  logs(): string;
  close(): Promise<void>;
}

/** Builds the services over a catalog of `options` on a fresh in-memory SQLite store. Call close() after the test. */
export async function createTestServices(options: TestServicesOptions): Promise<TestServices> {
  const catalog: Catalog = buildCatalog(
    { models: options.models, routes: options.routes, ...(options.execute === undefined ? {} : { execute: options.execute }) },
    'unit test',
    { env: {} },
  );
  const config = catalog.config;
  let logText = '';
  const logSink = new Writable({
    write(chunk, _encoding, callback) {
      logText += String(chunk);
      callback();
    },
  });
  const logger = pino({ level: 'warn' }, logSink);
  const store = options.store ?? (await openSqliteStore(':memory:'));
  await store.migrate();
  const tenancy = await Tenancy.open(store);
  const counters = new RecordingCounters();
  const ledger = new Ledger({ store, agreements: catalog.agreements, logger });
  const executor = new Executor({
    attemptTimeoutMs: config.execute.attempt_timeout_ms,
    streamIdleTimeoutMs: config.execute.stream_idle_timeout_ms,
    maxAttempts: config.execute.max_attempts,
    routes: catalog.routes,
    adapterFor: (route: Route) => getProviderAdapter(route.provider),
    authenticatorFor: (route: Route) => createAuthenticator(route),
  });
  const records: DecisionRecord[] = [];
  const decisions: RecordingDecisionSink = { records, record: (record) => void records.push(record) };
  return {
    catalog,
    executor,
    planCache: new PlanCache(),
    decisions,
    limiter: new Limiter({ counters, store }),
    ledger,
    now: () => new Date(),
    logger,
    store,
    chainCache: new ResponseChainCache({ maxBytes: config.runtime.chain_cache_bytes }),
    compactionKey: Buffer.from(createCompactionKey(), 'hex'),
    tenancy,
    counters,
    async masterPrincipal() {
      const tenant = await store.getTenant('default');
      if (tenant === null) throw new Error('the default tenant is missing');
      return { kind: 'master', key: null, tenant, admin: true };
    },
    async keyPrincipal(limits) {
      const tenantId = createTimeOrderedId('t');
      await tenancy.createTenant(createTenantRequestSchema.parse({ id: tenantId }));
      const created = await tenancy.createKey(createKeyRequestSchema.parse({ tenant: tenantId, ...limits }));
      const live = await tenancy.authenticate(created.key);
      if (live === null) throw new Error('the new key does not authenticate');
      return { kind: 'key', key: live.key, tenant: live.tenant, admin: false };
    },
    contextFor(principal, signal = new AbortController().signal) {
      return {
        principal,
        requestId: createTimeOrderedId('req'),
        signal,
        startedAt: performance.now(),
        deadlineAt: null,
        routingHeaders: {},
        requestRate: null,
      };
    },
    usageEventsOf: (requestId) => store.findUsageEventsByRequest(requestId),
    logs: () => logText,
    async close() {
      await ledger.close();
      await counters.close();
      await executor.close();
      if (options.store === undefined) await store.close();
    },
  };
}
