// What linking replicas through Redis costs (src/cluster): how long an announcement (an ejection, a revocation) takes to
// reach another replica, and the CPU a replica spends sharing each routing decision, as sent (one EVAL of SETs per
// event-loop turn) against the plain pipeline of SETs it replaced, measured in the same run. Needs a Redis:
// CROSSWAY_REDIS_URL or CROSSWAY_TEST_REDIS_URL; keys under a random prefix, deleted at the end.
import { randomBytes } from 'node:crypto';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { skippedResult } from '../bench-types.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import { formatRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

const TITLE = 'Replicas linked through Redis: announcements and shared decisions';
const ANNOUNCEMENTS = 2_000;
const DECISIONS = 20_000;
/** Decisions queued per event-loop turn: a busy replica's share of one turn. */
const PER_TURN = 50;

export const clusterBusScenario: Scenario = {
  name: 'cluster-bus',
  description: 'Replica-to-replica announcement latency over Redis pub/sub, and CPU per decision shared through Redis',
  enabledByDefault: true,
  run: runClusterBus,
};

async function runClusterBus(context: BenchContext): Promise<ScenarioResult> {
  const url = process.env.CROSSWAY_REDIS_URL || process.env.CROSSWAY_TEST_REDIS_URL;
  if (url === undefined) return skippedResult(TITLE, 'no Redis: set CROSSWAY_REDIS_URL (or CROSSWAY_TEST_REDIS_URL).');
  const { Secret } = await import('../../src/catalog/index.ts');
  const { openCluster } = await import('../../src/cluster/index.ts');
  const { createLogger } = await import('../../src/observe/index.ts');
  const keyPrefix = `cwbench:${randomBytes(5).toString('hex')}:`;
  const logger = createLogger({ level: 'silent' });
  const open = () => openCluster({ url: new Secret(url), keyPrefix, logger });
  const [first, second] = [await open(), await open()];
  const { Redis } = await import('ioredis');
  const plain = new Redis(url);
  try {
    for (let waited = 0; !(first.bus.connected && second.bus.connected); waited += 10) {
      if (waited > 10_000) return skippedResult(TITLE, 'Redis did not answer within 10 s.');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    context.log(`cluster-bus: ${ANNOUNCEMENTS} announcements, ${DECISIONS} decisions`);
    const latency = new LatencyRecorder();
    let arrived: () => void = () => {};
    second.bus.subscribe('health', () => arrived());
    for (let i = 0; i < ANNOUNCEMENTS; i += 1) {
      const next = new Promise<void>((resolve) => (arrived = resolve));
      const sentAt = performance.now();
      first.bus.publish('health', { route: 'bench-route', state: 'open', ejectedForMs: 30_000, ejections: 1 });
      await next;
      latency.record(performance.now() - sentAt);
    }
    const decision = (id: string) => ({
      id,
      tenant: 'default',
      model: 'gpt-5.5',
      at: new Date().toISOString(),
      constraints: {},
      kept: [1, 2, 3].map((rank) => ({ route: `route-${rank}`, provider: 'azure', region: 'eastus2', rank, basis: 'first-ship window, price' })),
      rejected: [{ route: 'bedrock', provider: 'bedrock', region: 'us-east-1', reasons: [{ code: 'region', detail: 'outside the tenant regions' }] }],
      attempts: [{ route: 'route-1', status: 200, latency_ms: 42, error: null }],
    });
    const shared = first.decisions;
    if (shared === undefined) return skippedResult(TITLE, 'the cluster shares no decisions.');
    // Interleaved halves, so that drift hits both alike.
    const cpu = { eval: 0, pipeline: 0 };
    for (let half = 0; half < 2; half += 1) {
      cpu.eval += await cpuPerDecision(async (ids) => {
        for (const id of ids) shared.put(decision(id));
        await (shared as { flush?: () => Promise<void> }).flush?.();
      });
      cpu.pipeline += await cpuPerDecision(async (ids) => {
        const pipeline = plain.pipeline();
        for (const id of ids) pipeline.set(`${keyPrefix}decision:${id}`, JSON.stringify(decision(id)), 'PX', 60_000);
        await pipeline.exec();
      });
    }
    const lookups = new LatencyRecorder();
    for (let i = 0; i < 500; i += 1) {
      const started = performance.now();
      if ((await second.decisions?.get(`dec_bench_${i}`)) == null) throw new Error('a shared decision was not found');
      lookups.record(performance.now() - started);
    }
    const bus = latency.summary();
    const lookup = lookups.summary();
    const ms = (value: number | null) => (value === null ? 'n/a' : value.toFixed(2));
    const markdown = [
      `Two replicas' cluster memberships in one process on one Redis. Announcement: one route-health message published by one ` +
        `replica until the other's handler runs, ${ANNOUNCEMENTS} in a row. Shared decisions: ${DECISIONS} decisions of about ` +
        `${JSON.stringify(decision('dec_x')).length} bytes of JSON, ${PER_TURN} per event-loop turn, CPU of this process only (Redis's own is not counted).`,
      renderMarkdownTable(
        ['Measure', 'p50', 'p99', 'max'],
        [
          ['announcement reaches the other replica (ms)', ms(bus.p50), ms(bus.p99), ms(bus.max)],
          ['decision read on the other replica (ms)', ms(lookup.p50), ms(lookup.p99), ms(lookup.max)],
        ],
        [false, true, true, true],
      ),
      renderMarkdownTable(
        ['Sharing a decision', 'µs of CPU per decision', 'x pipeline of SETs'],
        [
          ['one EVAL of SETs per turn (as sent)', (cpu.eval / 2).toFixed(1), formatRatio(cpu.eval, cpu.pipeline)],
          ['a pipeline of SET PX per turn (baseline)', (cpu.pipeline / 2).toFixed(1), '1.00'],
        ],
        [false, true, true],
      ),
    ].join('\n\n');
    return {
      title: TITLE,
      markdown,
      headline: [
        `An ejection or revocation reaches another replica in **${ms(bus.p50)} ms** (p50; p99 ${ms(bus.p99)} ms) over Redis; sharing a decision ` +
          `costs ${(cpu.eval / 2).toFixed(1)} µs of CPU (${formatRatio(cpu.eval, cpu.pipeline)}× a pipeline of SETs).`,
      ],
      targets: [
        {
          goal: "one replica's ejection or revocation seen by all within a second",
          measured: `p99 ${ms(bus.p99)} ms`,
          met: bus.p99 === null ? null : bus.p99 < 1_000,
        },
      ],
      artifacts: [],
    };
  } finally {
    await first.close();
    await second.close();
    const keys = await plain.keys(`${keyPrefix}*`);
    for (let start = 0; start < keys.length; start += 500) await plain.del(...keys.slice(start, start + 500));
    plain.disconnect();
  }
}

/** CPU of this process per decision to share DECISIONS / 2 decisions, PER_TURN at a time. */
async function cpuPerDecision(send: (ids: string[]) => Promise<void>): Promise<number> {
  const count = DECISIONS / 2;
  const started = process.cpuUsage();
  for (let offset = 0; offset < count; offset += PER_TURN) {
    await send(Array.from({ length: PER_TURN }, (_, index) => `dec_bench_${offset + index}`));
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / count;
}
