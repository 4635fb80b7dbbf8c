// The cost of the request log's group commit (decision records and, later, metering commits go the same way). The
// file-backed Store commits on a worker thread: what the gateway's event loop pays is the synchronous part of
// `insertRequestLogs` (serialising and posting the batch); the commit itself is the worker's latency. Both are measured,
// in 256-row batches as RequestLogWriter sends them, against raw prepared inserts on the event loop into a table of the
// same width in the same database file.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { skippedResult } from '../bench-types.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import { formatMs, formatRate, formatRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

const BATCH = 256;
const BATCHES = 150;
const TITLE = 'Request log group commit (SQLite)';

export const requestLogCommitScenario: Scenario = {
  name: 'request-log-commit',
  description: 'Event-loop time and commit latency of one request-log group commit (256 rows) through the Store vs raw node:sqlite',
  enabledByDefault: true,
  run: runRequestLogCommit,
};

type StoreModule = typeof import('../../src/store/index.ts');
type RequestLogRow = Parameters<Awaited<ReturnType<StoreModule['openSqliteStore']>>['insertRequestLogs']>[0][number];

async function runRequestLogCommit(context: BenchContext): Promise<ScenarioResult> {
  let storeModule: StoreModule;
  try {
    storeModule = await import('../../src/store/index.ts');
  } catch (error) {
    return skippedResult(TITLE, `the store module does not load (${(error as Error).message.split('\n')[0]}).`);
  }
  const path = join(context.tempDir, 'request-log-commit.db');
  const store = await storeModule.openSqliteStore(path);
  await store.migrate();
  const raw = new DatabaseSync(path);
  raw.exec('pragma journal_mode = wal; pragma synchronous = normal;');
  const columns = Array.from({ length: 14 }, (_, k) => `c${k}`);
  raw.exec(
    `create table bench_random (${columns.map((name, k) => `${name}${k === 0 ? ' text primary key' : ''}`).join(', ')}); ` +
      `create table bench_ordered (${columns.map((name, k) => `${name}${k === 0 ? ' text primary key' : ''}`).join(', ')});`,
  );
  const insertRandom = raw.prepare(`insert into bench_random values (${columns.map(() => '?').join(', ')}) on conflict (c0) do nothing`);
  const insertOrdered = raw.prepare(`insert into bench_ordered values (${columns.map(() => '?').join(', ')}) on conflict (c0) do nothing`);
  let sequence = 0;
  const randomId = () => `req_${randomUUID().replaceAll('-', '')}`;
  // Time-ordered ids (a millisecond clock prefix, like UUIDv7) land at the end of the primary-key B-tree.
  const orderedId = () => `req_${Date.now().toString(36)}${(sequence++).toString(36).padStart(8, '0')}${randomUUID().slice(0, 8)}`;

  const series = { store: new LatencyRecorder(), storeCommit: new LatencyRecorder(), random: new LatencyRecorder(), ordered: new LatencyRecorder() };
  context.log(`request-log-commit: ${BATCHES} batches of ${BATCH} rows, three ways`);
  try {
    for (let batch = 0; batch < BATCHES; batch++) {
      // Interleaved, so that the three tables grow together and share the page cache and the WAL.
      const rows = Array.from({ length: BATCH }, () => requestLogRow(randomId()));
      let started = performance.now();
      const committed = store.insertRequestLogs(rows, { skipDuplicates: true });
      // The async function runs synchronously up to its first await: that part is the event loop's cost.
      series.store.record(performance.now() - started);
      await committed;
      series.storeCommit.record(performance.now() - started);
      for (const [recorder, statement, idOf] of [
        [series.random, insertRandom, randomId],
        [series.ordered, insertOrdered, orderedId],
      ] as const) {
        started = performance.now();
        raw.exec('begin');
        for (let k = 0; k < BATCH; k++) {
          const row = requestLogRow(idOf());
          statement.run(
            row.id,
            row.created_at,
            row.endpoint,
            row.model,
            row.route,
            row.attempts,
            row.status,
            row.error_code,
            row.stream ? 1 : 0,
            row.prompt_tokens,
            row.completion_tokens,
            row.cached_tokens,
            row.duration_ms,
            row.ttfb_ms,
          );
        }
        raw.exec('commit');
        recorder.record(performance.now() - started);
      }
    }
  } finally {
    raw.close();
    await store.close();
  }
  const store50 = series.store.summary();
  const commit50 = series.storeCommit.summary();
  const random50 = series.random.summary();
  const ordered50 = series.ordered.summary();
  const row = (label: string, summary: ReturnType<LatencyRecorder['summary']>) => [
    label,
    formatMs(summary.p50),
    formatMs(summary.p90),
    formatMs(summary.p99),
    formatMs(summary.max),
    summary.p50 === null ? 'n/a' : ((summary.p50 * 1000) / BATCH).toFixed(1),
    formatRate(summary.mean === null ? null : (BATCH * 1000) / summary.mean),
  ];
  const markdown = [
    `${BATCHES} batches of ${BATCH} rows each (RequestLogWriter's batch size), ${(BATCHES * BATCH).toLocaleString('en-US')} rows per table, in one ` +
      `SQLite file in WAL mode with \`synchronous = normal\` (the store's settings). node:sqlite is synchronous: on the event loop, the time of a ` +
      `batch is time during which the gateway answers nobody, which is why the Store commits on a worker thread. Ids are \`req_\` + a random UUID, as ` +
      'the gateway makes them, except in the last row.',
    renderMarkdownTable(
      ['Path', 'per batch p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'µs per row (p50)', 'rows/s'],
      [
        row('Store.insertRequestLogs: event-loop time (serialise + post to the writer thread)', store50),
        row('Store.insertRequestLogs: until committed by the writer thread', commit50),
        row('raw node:sqlite prepared insert, random ids (baseline)', random50),
        row('raw node:sqlite prepared insert, time-ordered ids', ordered50),
      ],
      [false, true, true, true, true, true, true],
    ),
    `Event-loop time of the Store / a raw prepared insert on the event loop, per batch p50: **${formatRatio(store50.p50, random50.p50)}**; random / ` +
      `time-ordered ids: **${formatRatio(random50.p50, ordered50.p50)}**. The raw inserts' p99 and max are WAL checkpoints, which run inside a commit.`,
  ].join('\n\n');
  return {
    title: TITLE,
    markdown,
    headline: [
      `Request-log group commit costs the event loop **${formatMs(store50.p50)} ms** per ${BATCH}-row batch (p50; p99 ${formatMs(store50.p99)} ms; ` +
        `${formatRatio(store50.p50, random50.p50)}× a raw prepared insert on the event loop); the writer thread commits it in ` +
        `${formatMs(commit50.p50)} ms (p50).`,
    ],
    targets: [],
    artifacts: [],
  };
}

function requestLogRow(id: string): RequestLogRow {
  return {
    id,
    created_at: new Date().toISOString(),
    endpoint: 'chat.completions',
    model: 'bench-model',
    route: 'bench-upstream',
    attempts: 1,
    status: 200,
    error_code: null,
    stream: false,
    prompt_tokens: 12,
    completion_tokens: 20,
    cached_tokens: null,
    duration_ms: 3,
    ttfb_ms: null,
  };
}
