// Scale-out on PostgreSQL + Redis against one Crossway on SQLite, measured in the same run: throughput and CPU per
// request of 1, 2 and 3 `crossway serve` replicas (one schema, one key prefix, load dealt round-robin over them) and
// of `--workers 2` on one port, all called with a virtual key with limits and a budget on a priced route; the ledger's
// commit rate on PostgreSQL against SQLite; the round trips to Redis per admitted call. Needs PostgreSQL and Redis
// (CROSSWAY_TEST_DATABASE_URL / CROSSWAY_TEST_REDIS_URL, or CROSSWAY_DATABASE_URL / CROSSWAY_REDIS_URL); makes its own
// schema and key prefix and removes them at the end.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { skippedResult } from '../bench-types.ts';
import type { ManagedProcess } from '../child-processes.ts';
import type { LoadRequest, LoadResult } from '../load/load-request.ts';
import { runSpreadLoad } from '../load/run-spread-load.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import { BackendCpuReader, subtractBackendCpu } from '../read-backend-cpu.ts';
import { readThreadCpu } from '../read-thread-cpu.ts';
import { startCrossway, startUpstream, writeCrosswayConfig, type Target } from '../targets/start-targets.ts';
import { measureLedgerCommits } from './replicas-ledger-commit.ts';
import { renderReplicasReport, TITLE, type ReplicaTarget } from './replicas-report.ts';
import { countRedisRoundTrips } from './replicas-round-trips.ts';

export const replicasScenario: Scenario = {
  name: 'replicas',
  description:
    'Opt-in, needs PostgreSQL + Redis: 1/2/3 replicas and --workers 2 vs one Crossway on SQLite (req/s, CPU per request), ledger commits, Redis round trips',
  // About 1.5 minutes on 2 cores: the default run would pass its 5-minute budget.
  enabledByDefault: false,
  run: runReplicas,
};

/** Longest wait for the second worker of `--workers 2` after the first one listens. */
const WORKERS_READY_MS = 30_000;

async function runReplicas(context: BenchContext): Promise<ScenarioResult> {
  const databaseUrl = process.env.CROSSWAY_TEST_DATABASE_URL || process.env.CROSSWAY_DATABASE_URL;
  const redisUrl = process.env.CROSSWAY_TEST_REDIS_URL || process.env.CROSSWAY_REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    return skippedResult(
      TITLE,
      'needs PostgreSQL and Redis: set CROSSWAY_TEST_DATABASE_URL and CROSSWAY_TEST_REDIS_URL (or CROSSWAY_DATABASE_URL and CROSSWAY_REDIS_URL).',
    );
  }
  const { default: pg } = await import('pg');
  const { Redis } = await import('ioredis');
  const suffix = randomBytes(5).toString('hex');
  const schema = `cwbench_${suffix}`;
  const keyPrefix = `cwbench:${suffix}:`;
  // Set on the replicas' connections, so that their PostgreSQL backends can be told from other clients'.
  const applicationName = `cwbench_${suffix}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, connectTimeout: 5_000 });
  try {
    await admin.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    await admin.end().catch(() => {});
    // The driver's message names the host at most, never the URL's password.
    return skippedResult(TITLE, `PostgreSQL or Redis does not answer (${(error as Error).message.split('\n')[0]}).`);
  }
  await admin.query(`create schema ${schema}`);
  try {
    const schemaUrl = withConnectionOptions(databaseUrl, schema, applicationName);
    const ledgerRuns = await measureLedgerCommits(context, withConnectionOptions(databaseUrl, schema, `${applicationName}_ledger`));

    const upstream = await startUpstream(context, context.settings.streamChunks);
    const sqlite = await startCrossway(context, upstream, { virtualKey: true, name: 'replicas-sqlite' });
    const config = await writeSharedConfig(context, upstream, schemaUrl, redisUrl, keyPrefix);
    const serve =
      (...flags: string[]) =>
      () => [join(context.repoRoot, 'bin/crossway.js'), 'serve', ...flags, '--config', config.path];
    // The first replica creates the tenant and its key in the shared schema; the others and the workers serve that key.
    const replicas = [await startCrossway(context, upstream, { name: 'replica-1', entry: serve(), virtualKey: true })];
    for (const index of [2, 3]) replicas.push(await startCrossway(context, upstream, { name: `replica-${index}`, entry: serve() }));
    const workers = await startCrossway(context, upstream, { name: 'replicas-workers-2', entry: serve('--workers', '2') });
    await waitForLines(workers.process, /listening on/g, 2, WORKERS_READY_MS);
    const keyAt = (origin: string): LoadRequest => ({ ...replicas[0]!.request(false), url: `${origin}/v1/chat/completions` });
    const withKey = (target: Target) => keyAt(new URL(target.request(false).url).origin);
    const targets: ReplicaTarget[] = [
      newTarget('sqlite', 'Crossway on SQLite, in-memory counters (baseline)', [sqlite.process], [sqlite.request(false)]),
      ...[1, 2, 3].map((count) =>
        newTarget(
          `replicas-${count}`,
          `${count} replica${count === 1 ? '' : 's'} on PostgreSQL + Redis`,
          replicas.slice(0, count).map((replica) => replica.process),
          replicas.slice(0, count).map(withKey),
        ),
      ),
      newTarget('workers-2', '`--workers 2` on PostgreSQL + Redis (one port)', [workers.process], [withKey(workers)]),
    ];
    const cpuReader = new BackendCpuReader(admin, redis, applicationName);
    await measureThroughput(context, targets, cpuReader);

    const ledgerNotes: string[] = [];
    const answered = (list: ReplicaTarget[]) => list.reduce((sum, target) => sum + target.answered, 0) + 1;
    for (const [label, target, served] of [
      ['SQLite', sqlite, answered(targets.slice(0, 1))],
      ['PostgreSQL', replicas[0]!, answered(targets.slice(1))],
    ] as const) {
      const usage = await target.tenantUsage!();
      const verdict =
        usage.requests === served
          ? 'one each, as it must be'
          : usage.requests > served
            ? 'at least one each, as it must be; the excess is calls cut at the end of a run'
            : '**fewer**: not every call was metered';
      ledgerNotes.push(
        `${label} ledger: ${usage.requests} usage events for the tenant, charged ${usage.charged} ${usage.currency}, against ${served} calls ` +
          `the bench saw answered (${verdict}).`,
      );
    }
    for (const target of [sqlite, ...replicas, workers]) await context.processes.stop(target.process, 20_000);

    context.log('replicas: round trips to Redis per admitted call');
    const roundTrips = await countRedisRoundTrips(config.raw, keyAt);
    return renderReplicasReport({
      settings: context.settings,
      targets,
      ledgerRuns,
      roundTrips,
      notes: ledgerNotes,
      redisOnThisMachine: (await cpuReader.redisPid()) !== null,
    });
  } finally {
    await context.processes.stopAll();
    await admin.query(`drop schema if exists ${schema} cascade`).catch((error: Error) => context.log(`replicas: could not drop ${schema}: ${error.message}`));
    await admin.end().catch(() => {});
    await deleteKeys(redis, keyPrefix).catch((error: Error) => context.log(`replicas: could not delete ${keyPrefix}*: ${error.message}`));
    redis.disconnect();
  }
}

function newTarget(key: string, label: string, processes: ManagedProcess[], requests: LoadRequest[]): ReplicaTarget {
  return {
    key,
    label,
    processes,
    requests,
    roundsRps: [],
    latency: new LatencyRecorder(),
    completed: 0,
    failed: 0,
    answered: 0,
    cpu: { gateway: 0, postgresBackends: 0, postgresBackground: 0, redis: 0, loadGenerator: 0 },
  };
}

/** Warm-up, then `rounds` interleaved rounds (order rotated) at the highest connection count, CPU read around each run. */
async function measureThroughput(context: BenchContext, targets: ReplicaTarget[], cpuReader: BackendCpuReader): Promise<void> {
  const { settings } = context;
  const connections = Math.max(...settings.connections);
  for (const target of targets) {
    context.log(`replicas: warm-up ${target.key}`);
    target.answered += (await runSpreadLoad(target.requests, { connections, durationMs: settings.warmupMs })).completed;
  }
  for (let round = 0; round < settings.rounds; round += 1) {
    for (const target of rotate(targets, round)) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const gatewayBefore = sumCpu(target.processes);
      const backendsBefore = await cpuReader.snapshot();
      const loadBefore = process.cpuUsage();
      const result = await runSpreadLoad(target.requests, { connections, durationMs: settings.measureMs });
      const load = process.cpuUsage(loadBefore);
      const backends = subtractBackendCpu(await cpuReader.snapshot(), backendsBefore);
      target.cpu.gateway += sumCpu(target.processes) - gatewayBefore;
      target.cpu.postgresBackends += backends.postgresBackends;
      target.cpu.postgresBackground += backends.postgresBackground;
      target.cpu.redis += backends.redis;
      target.cpu.loadGenerator += (load.user + load.system) / 1e6;
      record(target, result);
      context.log(`replicas: round ${round + 1} ${target.key}: ${Math.round(result.rps)}/s p99 ${result.latency.summary().p99?.toFixed(2)} ms`);
    }
  }
}

function record(target: ReplicaTarget, result: LoadResult): void {
  target.roundsRps.push(result.rps);
  target.latency.add(result.latency);
  target.completed += result.completed;
  target.answered += result.completed;
  target.failed += result.non2xx + result.errors + result.dropped;
}

/** CPU seconds of the processes and their children (a `--workers` primary's workers), all threads. */
function sumCpu(processes: ManagedProcess[]): number {
  let seconds = 0;
  for (const managed of processes) for (const value of readThreadCpu(managed.pid).values()) seconds += value;
  return seconds;
}

/**
 * The SQLite baseline's configuration (same route, price and master key) with the store on the bench's schema and the
 * counters and cluster on Redis under the bench's prefix; written as JSON (which YAML reads) beside it.
 */
async function writeSharedConfig(context: BenchContext, upstream: Target, schemaUrl: string, redisUrl: string, keyPrefix: string) {
  const { readRawConfig } = await import('../../src/catalog/index.ts');
  const yamlPath = writeCrosswayConfig(context, upstream, 'replicas-shared', true);
  const path = join(context.tempDir, 'replicas-shared.json');
  const raw: Record<string, unknown> = { ...readRawConfig(yamlPath), store: { postgres: schemaUrl }, redis: { url: redisUrl, key_prefix: keyPrefix } };
  writeFileSync(path, JSON.stringify(raw, null, 2));
  return { path, raw };
}

/** The URL with the bench's schema as search_path and an application_name that marks its connections. */
function withConnectionOptions(databaseUrl: string, schema: string, applicationName: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  url.searchParams.set('application_name', applicationName);
  return url.toString();
}

/** Resolves once the process's output holds `count` matches of `pattern`; throws after `timeoutMs`. */
async function waitForLines(managed: ManagedProcess, pattern: RegExp, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((managed.output().match(pattern)?.length ?? 0) < count) {
    if (managed.exited() || Date.now() > deadline)
      throw new Error(`${managed.name}: not ${count} workers listening; its output:\n${managed.output().slice(-2_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Deletes the run's keys (SCAN, never KEYS or FLUSHDB: other clients share the server). */
async function deleteKeys(redis: InstanceType<typeof import('ioredis').Redis>, prefix: string): Promise<void> {
  let cursor = '0';
  for (let pass = 0; pass < 10_000; pass += 1) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') return;
  }
}

function rotate<T>(items: T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
