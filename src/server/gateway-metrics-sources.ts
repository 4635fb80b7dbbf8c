// The gateway's services as the metrics see them: the executor's attempts, the ledger's commits, and the state read at
// scrape time (circuits, writer queues, per-key budgets). Assembled here so that start-gateway only wires it in.
import type { Catalog } from '../catalog/index.ts';
import type { AttemptObserver, Executor } from '../execute/index.ts';
import type { Ledger } from '../metering/index.ts';
import type { GatewayMetrics, KeyBudget, MetricsSources } from '../observe/index.ts';
import type { BatchWriterStats, Store } from '../store/index.ts';
import { budgetPeriod } from '../tenancy/index.ts';

/** Most keys whose budget is shown (one series each); past it the oldest keys are shown. */
const MAX_BUDGET_KEYS = 1_000;

/** The executor's observer: every attempt's end as a metric (route and provider from the catalog's route). */
export function observeAttempts(metrics: GatewayMetrics): AttemptObserver {
  return {
    attemptEnded(route, outcome, failover) {
      metrics.observeAttempt({ route: route.id, provider: route.provider, outcome, failover });
    },
  };
}

/** The store as the ledger commits to it, each group commit timed and its committed usage counted. */
export function timeLedgerCommits(store: Pick<Store, 'commitLedger'>, metrics: GatewayMetrics): Pick<Store, 'commitLedger'> {
  return {
    async commitLedger(entries) {
      const started = performance.now();
      try {
        const results = await store.commitLedger(entries);
        const committed = entries.filter((_, index) => results[index]?.outcome === 'committed').map((entry) => entry.event);
        metrics.observeLedgerCommit(performance.now() - started, committed);
        return results;
      } catch (error) {
        metrics.observeLedgerCommit(performance.now() - started, null);
        throw error;
      }
    },
  };
}

/** What the scrape-time gauges read. */
export interface MetricsServices {
  catalog(): Catalog;
  executor: Executor;
  ledger: Ledger;
  requestLog: { stats: BatchWriterStats };
  decisions: { stats: BatchWriterStats };
  store: Pick<Store, 'listApiKeys' | 'sumUsage'>;
  now: () => Date;
}

/** The scrape-time sources over the gateway's services. */
export function metricsSources(services: MetricsServices): MetricsSources {
  return {
    routeCircuits() {
      const routes = services.catalog().routes;
      const health = services.executor.snapshot(routes.map((route) => route.id));
      return routes.map((route, index) => ({ route: route.id, model: route.model, provider: route.provider, state: health[index]?.state ?? 'closed' }));
    },
    queueDepths() {
      return { request_log: services.requestLog.stats.queued, decisions: services.decisions.stats.queued, ledger: services.ledger.queued };
    },
    keyBudgets: () => readKeyBudgets(services.store, services.now()),
  };
}

/**
 * Every live key with a budget: its limit minus what the ledger settled in the budget's current period (one grouped
 * query per kind of period in use, at most three). Reservations of calls in flight are not subtracted.
 */
async function readKeyBudgets(store: MetricsServices['store'], now: Date): Promise<KeyBudget[]> {
  const at = now.toISOString();
  const keys = (await store.listApiKeys())
    .filter((key) => key.budget !== null && key.revoked_at === null && (key.expires_at === null || key.expires_at > at))
    .slice(-MAX_BUDGET_KEYS);
  const spentByPeriod = new Map<string, Map<string, bigint>>();
  for (const period of new Set(keys.map((key) => key.budget!.period))) {
    const bounds = budgetPeriod(period, now);
    const totals = await store.sumUsage(bounds.from === undefined ? {} : { from: bounds.from, to: bounds.to }, 'key');
    const spent = new Map<string, bigint>();
    for (const row of totals) spent.set(`${row.group}\u0000${row.currency}`, row.charged);
    spentByPeriod.set(period, spent);
  }
  return keys.map((key) => {
    const budget = key.budget!;
    const spent = spentByPeriod.get(budget.period)?.get(`${key.id}\u0000${budget.currency}`) ?? 0n;
    return {
      tenant: key.tenant,
      key_id: key.id,
      currency: budget.currency,
      period: budget.period,
      remaining: Number(budget.limit) - Number(spent) / 1_000_000,
    };
  });
}
