// What metering costs: usage events committed per second through the Ledger's group commit into the SQLite store
// (synchronous = FULL, on the writer thread), against one transaction per event with the same durability; the
// latency a commit adds to one request at low and at high concurrency; and the event-loop time of a limits-and-budget
// admission plus its settlement (in-memory counters).
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { skippedResult } from '../bench-types.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import { formatMs, formatRate, formatRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

const TITLE = 'Metering: ledger group commit, limits and budgets';
const GROUP_EVENTS = 20_000;
const IN_FLIGHT = 64;
const SERIAL_EVENTS = 300;
const ADMISSIONS = 20_000;

export const meteringCommitScenario: Scenario = {
  name: 'metering-commit',
  description: 'Usage events per second through the ledger group commit (fsync per commit) vs one commit per event; admission cost',
  enabledByDefault: true,
  run: runMeteringCommit,
};

type MeteringModule = typeof import('../../src/metering/index.ts');
type StoreModule = typeof import('../../src/store/index.ts');
type TenancyModule = typeof import('../../src/tenancy/index.ts');

async function runMeteringCommit(context: BenchContext): Promise<ScenarioResult> {
  let metering: MeteringModule;
  let storeModule: StoreModule;
  let tenancy: TenancyModule;
  try {
    [metering, storeModule, tenancy] = await Promise.all([
      import('../../src/metering/index.ts'),
      import('../../src/store/index.ts'),
      import('../../src/tenancy/index.ts'),
    ]);
  } catch (error) {
    return skippedResult(TITLE, `the metering modules do not load (${(error as Error).message.split('\n')[0]}).`);
  }
  const store = await storeModule.openSqliteStore(join(context.tempDir, 'metering-commit.db'));
  await store.migrate();
  const agreement = {
    id: 'bench-share',
    licensor: 'openai',
    revenue_share: { payer: 'openai', payee: 'partner', rate: 0.2, scope: 'all' as const, cap: { amount: '1000000000.00', currency: 'USD' } },
  };
  const ledger = new metering.Ledger({ store, agreements: [agreement] });
  const price = { input: 5, cached_input: 0.5, output: 30, currency: 'USD' };
  let sequence = 0;
  const call = () => {
    const id = `evt_bench_${(sequence++).toString(36).padStart(8, '0')}`;
    const now = new Date().toISOString();
    return {
      id,
      request_id: id.replace('evt_', 'req_'),
      tenant: 'default',
      key_id: null,
      endpoint: 'chat.completions',
      model: 'gpt-5.5',
      route: { id: 'bench-route', provider: 'openai' as const, region: 'global', price },
      usage: { input_tokens: 1200, cached_tokens: 200, output_tokens: 300, reasoning_tokens: 0 },
      estimated: false,
      latency_ms: 3,
      status: 200,
      started_at: now,
      completed_at: now,
      margin: '0.1',
    };
  };

  // 1. Group commit under load: IN_FLIGHT concurrent calls, each starting a new one when its commit resolves.
  context.log(`metering-commit: ${GROUP_EVENTS} events, ${IN_FLIGHT} in flight`);
  const grouped = new LatencyRecorder();
  const batchesBefore = ledger.stats().batches;
  let started = performance.now();
  let issued = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (issued < GROUP_EVENTS) {
        issued += 1;
        const at = performance.now();
        await ledger.record(call());
        grouped.record(performance.now() - at);
      }
    }),
  );
  const groupedSeconds = (performance.now() - started) / 1000;
  const batches = ledger.stats().batches - batchesBefore;

  // 2. One call at a time through the same ledger: the latency a commit adds to an unloaded request (one fsync).
  const single = new LatencyRecorder();
  for (let index = 0; index < SERIAL_EVENTS; index++) {
    const at = performance.now();
    await ledger.record(call());
    single.record(performance.now() - at);
  }
  await ledger.close();
  await store.close();

  // 3. Baseline: the same rows (event + 3 transfers + 5 balance upserts) in one fsynced transaction per event.
  const raw = new DatabaseSync(join(context.tempDir, 'metering-per-event.db'));
  raw.exec(`pragma journal_mode = wal; pragma synchronous = full;
    create table events (id text primary key, body text); create table transfers (id text primary key, event_id text, amount integer);
    create table balances (account text primary key, balance integer not null);`);
  const insertEvent = raw.prepare('insert into events values (?, ?)');
  const insertTransfer = raw.prepare('insert into transfers values (?, ?, ?)');
  const upsertBalance = raw.prepare('insert into balances values (?, ?) on conflict (account) do update set balance = balance + excluded.balance');
  const perEvent = new LatencyRecorder();
  started = performance.now();
  for (let index = 0; index < SERIAL_EVENTS; index++) {
    const at = performance.now();
    const id = `evt_raw_${index}`;
    raw.exec('begin');
    insertEvent.run(id, JSON.stringify(call()));
    for (const kind of ['charge', 'cost', 'share']) insertTransfer.run(`${id}:${kind}`, id, 1234);
    for (const account of ['receivable', 'revenue', 'cost', 'payable', 'share']) upsertBalance.run(account, 1234);
    raw.exec('commit');
    perEvent.record(performance.now() - at);
  }
  const perEventSeconds = (performance.now() - started) / 1000;
  raw.close();

  // 4. Admission (RPM, TPM, budget per key and tenant) plus settlement, on the event loop, with in-memory counters.
  const limiterStore = await storeModule.openSqliteStore(':memory:');
  await limiterStore.migrate();
  const limiter = new tenancy.Limiter({ counters: new storeModule.MemoryCounters(), store: limiterStore });
  const tenant = {
    id: 'bench',
    name: 'bench',
    policy: {},
    margin: null,
    rpm: 1e9,
    tpm: 1e12,
    budget: { limit: '1000000000.00', currency: 'USD', period: 'month' as const },
    metadata: {},
    created_at: '',
    updated_at: '',
  };
  const key = {
    id: 'key_bench',
    tenant: 'bench',
    name: null,
    prefix: 'sk-cw-bench',
    hash: 'x',
    models: null,
    rpm: 1e9,
    tpm: 1e12,
    budget: { limit: '1000000.00', currency: 'USD', period: 'day' as const },
    expires_at: null,
    admin: false,
    metadata: {},
    created_at: '',
    revoked_at: null,
  };
  const admission = new LatencyRecorder();
  for (let index = 0; index < ADMISSIONS; index++) {
    const at = performance.now();
    const admitted = await limiter.admit({ tenant, key, model: 'gpt-5.5', estimatedTokens: 1500, worstCaseCosts: [{ amount: 20_000n, currency: 'USD' }] });
    await admitted.settle({ tokens: 1400, cost: 9_000n, currency: 'USD' });
    admission.record(performance.now() - at);
  }
  await limiterStore.close();

  const groupedRate = GROUP_EVENTS / groupedSeconds;
  const perEventRate = SERIAL_EVENTS / perEventSeconds;
  const g = grouped.summary();
  const s = single.summary();
  const p = perEvent.summary();
  const a = admission.summary();
  const markdown = [
    'Usage events with their transfers (charge, cost, a 20 % revenue share) and balance updates, committed by the Ledger into the SQLite store: WAL, ' +
      `\`synchronous = FULL\` on the writer thread, so that every acknowledged event survives power loss. ${GROUP_EVENTS.toLocaleString('en-US')} ` +
      `events with ${IN_FLIGHT} in flight, then ${SERIAL_EVENTS} one at a time; the baseline writes comparable rows in one fsynced transaction per ` +
      'event on the event loop.',
    renderMarkdownTable(
      ['Path', 'events/s', 'per event p50 ms', 'p99 ms', 'max ms'],
      [
        [
          `Ledger.record, ${IN_FLIGHT} in flight (group commit, ${batches} commits, ${(GROUP_EVENTS / Math.max(1, batches)).toFixed(1)} events each)`,
          formatRate(groupedRate),
          formatMs(g.p50),
          formatMs(g.p99),
          formatMs(g.max),
        ],
        [
          'Ledger.record, one at a time (what a commit adds to an unloaded request)',
          formatRate(SERIAL_EVENTS / (((s.mean ?? 1) * SERIAL_EVENTS) / 1000)),
          formatMs(s.p50),
          formatMs(s.p99),
          formatMs(s.max),
        ],
        ['one fsynced transaction per event (baseline, no group commit)', formatRate(perEventRate), formatMs(p.p50), formatMs(p.p99), formatMs(p.max)],
        [
          'Limiter.admit + settle (RPM, TPM and budget, key and tenant; event loop)',
          formatRate(a.mean === null ? null : 1000 / a.mean),
          formatMs(a.p50),
          formatMs(a.p99),
          formatMs(a.max),
        ],
      ],
      [false, true, true, true, true],
    ),
    `Group commit / one commit per event: **${formatRatio(groupedRate, perEventRate)}** the events per second. The commit is awaited before a ` +
      `response's last byte, so its latency (one fsync, shared by the batch) is what metering adds to a request; admission and settlement add ` +
      `${formatMs(a.p50)} ms of event-loop time (p50).`,
  ].join('\n\n');
  return {
    title: TITLE,
    markdown,
    headline: [
      `Ledger group commit: **${formatRate(groupedRate)} events/s** (${formatRatio(groupedRate, perEventRate)}× one fsynced commit per event); one ` +
        `durable commit adds ${formatMs(s.p50)} ms (p50) to an unloaded request; limits and budgets ${formatMs(a.p50)} ms.`,
    ],
    targets: [],
    artifacts: [],
  };
}
