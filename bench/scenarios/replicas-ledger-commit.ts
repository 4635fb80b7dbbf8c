// The ledger's group commit on PostgreSQL against SQLite, in this process (as metering-commit.ts measures SQLite
// alone): usage events per second, their batches, the latency a commit adds, with one writer and with two at once
// (two Ledgers on two stores, as two processes would write one database; both accrue the same capped revenue share,
// decided by the store inside each commit).
import { join } from 'node:path';
import type { BenchContext } from '../bench-types.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import { formatMs, formatRate, formatRatio, safeRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

/** Calls in flight in all (split over the writers): a busy replica's concurrency at 64 connections. */
const IN_FLIGHT = 64;
/** Each run stops issuing at this many events or after RUN_MS, whichever comes first. */
const MAX_EVENTS = 20_000;
const RUN_MS = 3_000;

type MeteringModule = typeof import('../../src/metering/index.ts');
type StoreModule = typeof import('../../src/store/index.ts');
type LedgerStore = ConstructorParameters<MeteringModule['Ledger']>[0]['store'];

/** One measured run. */
export interface LedgerCommitRun {
  label: string;
  writers: number;
  events: number;
  batches: number;
  eventsPerSecond: number;
  latency: LatencyRecorder;
}

const AGREEMENT = {
  id: 'bench-share',
  licensor: 'openai',
  revenue_share: { payer: 'openai', payee: 'partner', rate: 0.2, scope: 'all' as const, cap: { amount: '1000000000.00', currency: 'USD' } },
};
const PRICE = { input: 5, cached_input: 0.5, output: 30, currency: 'USD' };

/** SQLite (one writer), then PostgreSQL with one and with two writers; `postgresUrl` selects the bench's schema. */
export async function measureLedgerCommits(context: BenchContext, postgresUrl: string): Promise<LedgerCommitRun[]> {
  const metering = await import('../../src/metering/index.ts');
  const storeModule: StoreModule = await import('../../src/store/index.ts');
  const runs: LedgerCommitRun[] = [];
  const sqlite = await storeModule.openSqliteStore(join(context.tempDir, 'replicas-ledger.db'));
  await sqlite.migrate();
  // A second store on the same file: what a second process would open (its own writer thread, the file's write lock).
  const secondSqlite = await storeModule.openSqliteStore(join(context.tempDir, 'replicas-ledger.db'));
  const postgres = [await storeModule.openPostgresStore(postgresUrl, { poolSize: 4 }), await storeModule.openPostgresStore(postgresUrl, { poolSize: 4 })];
  try {
    await postgres[0]!.migrate();
    context.log('replicas: ledger commits, SQLite, one writer');
    runs.push(await runWriters(metering, 'SQLite file (WAL, synchronous = FULL), one writer', [sqlite]));
    context.log('replicas: ledger commits, SQLite, two writers');
    runs.push(await runWriters(metering, 'SQLite file, two writers at once (two stores on the file, one capped share)', [sqlite, secondSqlite]));
    context.log('replicas: ledger commits, PostgreSQL, one writer');
    runs.push(await runWriters(metering, 'PostgreSQL, one writer', [postgres[0]!]));
    context.log('replicas: ledger commits, PostgreSQL, two writers');
    runs.push(await runWriters(metering, 'PostgreSQL, two writers at once (two pools, one capped share)', postgres));
  } finally {
    await sqlite.close();
    await secondSqlite.close();
    for (const store of postgres) await store.close();
  }
  return runs;
}

let sequence = 0;

function meteredCall(writer: number) {
  const id = `evt_bench_w${writer}_${(sequence++).toString(36).padStart(8, '0')}`;
  const now = new Date().toISOString();
  return {
    id,
    request_id: id.replace('evt_', 'req_'),
    tenant: 'default',
    key_id: null,
    endpoint: 'chat.completions',
    model: 'gpt-5.5',
    route: { id: 'bench-route', provider: 'openai' as const, region: 'global', price: PRICE },
    usage: { input_tokens: 1200, cached_tokens: 200, output_tokens: 300, reasoning_tokens: 0 },
    estimated: false,
    latency_ms: 3,
    status: 200,
    started_at: now,
    completed_at: now,
    margin: '0.1',
  };
}

/** One Ledger per store, IN_FLIGHT calls split over them, each starting a new one when its commit resolves. */
async function runWriters(metering: MeteringModule, label: string, stores: LedgerStore[]): Promise<LedgerCommitRun> {
  const ledgers = stores.map((store) => new metering.Ledger({ store, agreements: [AGREEMENT] }));
  const latency = new LatencyRecorder();
  // Warm-up: the connections, the prepared paths and the accrual row exist before the clock starts.
  await Promise.all(ledgers.map((ledger, writer) => Promise.all(Array.from({ length: 8 }, () => ledger.record(meteredCall(writer))))));
  const batchesBefore = ledgers.map((ledger) => ledger.stats().batches);
  let issued = 0;
  const started = performance.now();
  const deadline = started + RUN_MS;
  const perWriter = Math.max(1, Math.floor(IN_FLIGHT / ledgers.length));
  await Promise.all(
    ledgers.flatMap((ledger, writer) =>
      Array.from({ length: perWriter }, async () => {
        while (issued < MAX_EVENTS && performance.now() < deadline) {
          issued += 1;
          const at = performance.now();
          await ledger.record(meteredCall(writer));
          latency.record(performance.now() - at);
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const batches = ledgers.reduce((sum, ledger, index) => sum + ledger.stats().batches - batchesBefore[index]!, 0);
  for (const ledger of ledgers) await ledger.close();
  return { label, writers: ledgers.length, events: issued, batches, eventsPerSecond: issued / seconds, latency };
}

/** The section's table and its comparison line. */
export function renderLedgerCommits(runs: LedgerCommitRun[]): string {
  const baseline = runs[0];
  const rows = runs.map((run) => {
    const summary = run.latency.summary();
    return [
      run.label,
      formatRate(run.eventsPerSecond),
      formatRatio(run.eventsPerSecond, baseline?.eventsPerSecond),
      `${run.batches} (${(run.events / Math.max(1, run.batches)).toFixed(1)} each)`,
      formatMs(summary.p50),
      formatMs(summary.p99),
    ];
  });
  const gain = (store: string) =>
    safeRatio(
      runs.find((run) => run.label.startsWith(store) && run.writers === 2)?.eventsPerSecond,
      runs.find((run) => run.label.startsWith(store) && run.writers === 1)?.eventsPerSecond,
    );
  const gains = [gain('SQLite'), gain('PostgreSQL')];
  return [
    `Usage events with their transfers (charge, cost, a 20 % revenue share under a cap) committed by the Ledger's group commit, in this process, ` +
      `${IN_FLIGHT} calls in flight in all, each run up to ${MAX_EVENTS.toLocaleString('en-US')} events or ${RUN_MS / 1000} s. One Ledger, then ` +
      'two at once, both accruing the same capped share: on SQLite two stores on one file (what two processes would open; `--workers` is ' +
      "refused on SQLite, which has one writer process per file: here the file's write lock takes one commit at a time), on PostgreSQL two " +
      'pools (two replicas), each commit locking the accrual row. The calls in flight are the same in all, so two writers make commits half ' +
      'as large: they gain only as far as their commits overlap.',
    renderMarkdownTable(['Store, writers', 'events/s', '× SQLite', 'commits', 'per event p50 ms', 'p99 ms'], rows, [false, true, true, true, true, true]),
    `Two writers / one: SQLite **${gains[0]?.toFixed(2) ?? 'n/a'}×**, PostgreSQL **${gains[1]?.toFixed(2) ?? 'n/a'}×** the events per second.`,
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}
