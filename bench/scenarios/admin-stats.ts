// What GET /admin/stats costs the gateway on the SQLite file store, which a dashboard polls every 5 s: Store.readRequestStats
// plus the answer's assembly (percentiles, buckets, money), per window, on 100k request-log rows and 100k usage events.
// Reads run on the event loop (node:sqlite is synchronous), so the time is time during which the gateway answers nobody.
// Two spreads: the rows over 7 days (every window reads its share), and the same count in the last 15 minutes (the
// worst case, past STATS_SAMPLE_LIMIT: timings sampled). Baseline: the dashboard's other poll, one 50-row page of the log.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import { formatMs, formatRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';
import { buildRequestStats, toRequestStatsQuery, type StatsWindow } from '../../src/server/build-request-stats.ts';
import { RequestStatsCache } from '../../src/server/request-stats-cache.ts';
import { openSqliteStore, type LedgerEntry, type RequestLogRow, type SqliteStore } from '../../src/store/index.ts';

const ROWS = 100_000;
const RUNS = 20;
const TITLE = 'Admin stats over the request log (SQLite)';
const WINDOWS: StatsWindow[] = ['15m', '1h', '24h', '7d'];

export const adminStatsScenario: Scenario = {
  name: 'admin-stats',
  description: 'GET /admin/stats per window on 100k request-log rows and usage events (SQLite), against one page of GET /admin/requests',
  enabledByDefault: false,
  run: runAdminStats,
};

async function runAdminStats(context: BenchContext): Promise<ScenarioResult> {
  const now = new Date();
  const spreads = [
    { label: 'over 7 days', spanMs: 7 * 24 * 3_600_000 },
    { label: 'in the last 15 minutes', spanMs: 15 * 60_000 },
  ];
  const rows: string[][] = [];
  let worstCold = 0;
  let worstPoll = 0;
  let baseline: number | null = null;
  for (const spread of spreads) {
    const store = await openSqliteStore(join(context.tempDir, `admin-stats-${spread.spanMs}.db`));
    try {
      await store.migrate();
      context.log(`admin-stats: seeding ${ROWS.toLocaleString('en-US')} rows ${spread.label}`);
      await seed(store, now, spread.spanMs);
      const page = measure(RUNS, () => store.listRequestLogs({ limit: 51 }));
      baseline ??= (await page).p50;
      for (const window of WINDOWS) {
        let sampled = false;
        // Cold: the whole window read (the first poll, or a replica without the cache).
        const cold = await measure(RUNS, async () => {
          const query = toRequestStatsQuery(window, now, undefined);
          sampled = buildRequestStats(window, query, await store.readRequestStats(query)).sampled;
        });
        // A dashboard polling every 5 s through the handler's cache: only the buckets still filling are read.
        const cache = new RequestStatsCache();
        let polledAt = now.getTime();
        await cache.read(store, toRequestStatsQuery(window, new Date(polledAt), undefined), polledAt);
        const poll = await measure(RUNS, async () => {
          polledAt += 5_000;
          const query = toRequestStatsQuery(window, new Date(polledAt), undefined);
          buildRequestStats(window, query, await cache.read(store, query, polledAt));
        });
        worstCold = Math.max(worstCold, cold.p50 ?? 0);
        worstPoll = Math.max(worstPoll, poll.p50 ?? 0);
        rows.push([
          spread.label,
          window,
          formatMs(cold.p50),
          formatMs(cold.p99),
          formatMs(poll.p50),
          formatMs(poll.p99),
          sampled ? 'yes' : 'no',
          formatRatio(poll.p50, baseline),
        ]);
      }
    } finally {
      await store.close();
    }
  }
  const markdown = [
    `${ROWS.toLocaleString('en-US')} request-log rows and as many usage events in one SQLite file, all of one tenant; ${RUNS} reads per window. ` +
      'Counts and sums are grouped in SQL; percentiles come from at most 20,000 rows a read (a uniform sample by request id past it). ' +
      "*Cold* reads the whole window; *poll* is the handler's path, a read every 5 s through RequestStatsCache, which keeps the buckets " +
      'settled for a minute and reads only the rest.',
    renderMarkdownTable(['Rows', 'Window', 'cold p50 ms', 'cold p99 ms', 'poll p50 ms', 'poll p99 ms', 'sampled', 'poll × one 50-row page'], rows, [
      false,
      false,
      true,
      true,
      true,
      true,
      false,
      true,
    ]),
    `One 50-row page of the request log (the baseline): ${formatMs(baseline)} ms p50.`,
  ].join('\n\n');
  return {
    title: TITLE,
    markdown,
    headline: [
      `GET /admin/stats on 100k rows (SQLite): a dashboard's 5-s poll costs at most **${formatMs(worstPoll)} ms** p50 of event-loop time ` +
        `(settled buckets cached); a cold read of the whole window at most ${formatMs(worstCold)} ms.`,
    ],
    targets: [],
    artifacts: [],
  };
}

async function measure(runs: number, read: () => Promise<unknown>): Promise<ReturnType<LatencyRecorder['summary']>> {
  const recorder = new LatencyRecorder();
  await read();
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await read();
    recorder.record(performance.now() - started);
  }
  return recorder.summary();
}

/** ROWS request-log rows and usage events, evenly spread over `spanMs` before `now`, in batches. */
async function seed(store: SqliteStore, now: Date, spanMs: number): Promise<void> {
  const batch = 1_000;
  for (let start = 0; start < ROWS; start += batch) {
    const logs: RequestLogRow[] = [];
    const entries: LedgerEntry[] = [];
    for (let index = start; index < start + batch; index++) {
      const at = new Date(now.getTime() - (spanMs * (index + 0.5)) / ROWS).toISOString();
      // Ids as the gateway makes them end in random hex digits, by which a sample is chosen.
      const id = `req_${String(index).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
      logs.push({
        id,
        created_at: at,
        endpoint: 'chat.completions',
        model: 'gpt-5.5',
        route: 'azure-eastus2-gpt-5.5',
        attempts: 1,
        status: index % 50 === 0 ? 502 : 200,
        error_code: null,
        stream: index % 3 === 0,
        prompt_tokens: 500,
        completion_tokens: 200,
        cached_tokens: 0,
        duration_ms: 200 + (index % 400),
        ttfb_ms: 50 + (index % 100),
        tenant_id: 'acme',
        key_id: 'key_1',
        decision_id: `dec_${index}`,
        provider: 'azure',
        upstream_ms: 190 + (index % 400),
      });
      entries.push({
        event: {
          id: `evt_${String(index).padStart(8, '0')}`,
          request_id: id,
          tenant: 'acme',
          key_id: 'key_1',
          endpoint: 'chat.completions',
          model: 'gpt-5.5',
          route: 'azure-eastus2-gpt-5.5',
          provider: 'azure',
          region: 'eastus2',
          input_tokens: 500,
          cached_tokens: 0,
          output_tokens: 200,
          reasoning_tokens: 0,
          estimated: false,
          latency_ms: 300,
          status: 200,
          started_at: at,
          completed_at: at,
          currency: 'USD',
          cost: 8_500n,
          charged: 10_000n,
        },
        transfers: [],
      });
    }
    await store.insertRequestLogs(logs);
    await store.commitLedger(entries);
  }
}
