// The main comparison: what each proxy adds to a chat completion, measured side by side in one run against the same
// instant upstream. Closed loop (16 and 64 connections) for saturation throughput and latency, then open loop at a
// fraction of Crossway's saturation for added latency under a known load; JSON and streamed answers; RSS per process.
// Crossway runs twice: with the master key on an unpriced route, and as in production with a tenant's virtual key
// (limits and a budget) on a priced route. Targets are measured in interleaved rounds (order rotated each round) so
// that machine drift hits all alike. `crossway-virtual-key` runs the same comparison without Portkey and nginx.
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { emptyLoadResult, mergeLoadResult, type LoadResult } from '../load/load-request.ts';
import { runAutocannonLoad } from '../load/run-autocannon-load.ts';
import { runUndiciLoad } from '../load/run-undici-load.ts';
import { readProcessMemory, RssSampler } from '../read-process-memory.ts';
import { addThreadCpu, readThreadCpu, subtractThreadCpu } from '../read-thread-cpu.ts';
import { probeTarget } from '../targets/probe-target.ts';
import {
  findNginx,
  startCrossway,
  startMinimalProxy,
  startNginx,
  startPortkey,
  startUpstream,
  type Target,
  type TenantUsage,
} from '../targets/start-targets.ts';
import { MODES, renderProxyOverheadReport, type Mode, type OpenRun, type ProxyOverheadData, type TargetRecord } from './proxy-overhead-report.ts';

export const proxyOverheadScenario: Scenario = {
  name: 'proxy-overhead',
  description:
    'Throughput, latency, TTFB, CPU and RSS of upstream direct, minimal Node proxy, Crossway (master key; virtual key and priced route), Portkey and nginx',
  enabledByDefault: true,
  run: (context) => runProxyOverhead(context, true),
};

/**
 * Opt-in: the same comparison, same load, rounds and report, with only the floor, the minimal proxy and both Crossway
 * targets (master key; virtual key with a priced route): about 3 minutes on 2 cores, against 3.3 for `proxy-overhead`.
 */
export const crosswayVirtualKeyScenario: Scenario = {
  name: 'crossway-virtual-key',
  description: "proxy-overhead with only upstream direct, the minimal proxy and Crossway with the master key and with a tenant's virtual key on a priced route",
  enabledByDefault: false,
  run: (context) => runProxyOverhead(context, false),
};

/** `others`: Portkey and nginx too (when installed). */
async function runProxyOverhead(context: BenchContext, others: boolean): Promise<ScenarioResult> {
  const { settings } = context;
  const notes: string[] = [];
  const upstream = await startUpstream(context, settings.streamChunks);
  const targets: Target[] = [
    upstream,
    await startMinimalProxy(context, upstream),
    await startCrossway(context, upstream),
    await startCrossway(context, upstream, { virtualKey: true }),
  ];
  const portkey = others ? await startPortkey(context, upstream) : null;
  if (!others) notes.push('Portkey and nginx are not part of this scenario; `proxy-overhead` measures them.');
  else if (portkey === null) notes.push('Portkey: `@portkey-ai/gateway` is not installed in node_modules; skipped.');
  else targets.push(portkey);
  let nginx: Target | null = null;
  if (!others) {
    // Not part of this scenario (noted above).
  } else if (findNginx() === null) notes.push('nginx: not installed on this machine (`nginx` is not on PATH); skipped. Install it to add the native floor.');
  else {
    nginx = await startNginx(context, upstream).catch((error: Error) => {
      notes.push(`nginx: found on PATH but did not start (${error.message.split('\n')[0]}); skipped.`);
      return null;
    });
  }
  if (nginx !== null) targets.push(nginx);

  const records: TargetRecord[] = [];
  for (const target of targets) {
    await pause(500);
    const idle = readProcessMemory(target.process.pid);
    const broken: Partial<Record<Mode, string>> = {};
    for (const mode of MODES) {
      const problem = await probeTarget(target, mode === 'stream', settings.streamChunks);
      if (problem !== null) {
        broken[mode] = problem;
        context.log(`${target.label}: ${mode} does not work, not measured: ${problem}`);
      }
    }
    records.push({
      target,
      broken,
      idleRssMb: idle.rssMb,
      loadRssMb: null,
      peakRssMb: null,
      idleAfterRssMb: null,
      threadCpu: new Map(),
      threadCpuRequests: 0,
      closed: new Map(),
      open: new Map(),
    });
  }
  if (
    portkey !== null &&
    records.some((record) => record.target === portkey && record.broken.stream !== undefined) &&
    /TypeError: immutable/.test(portkey.process.output())
  ) {
    notes.push(
      'Why Portkey streaming fails: `TypeError: immutable` in its `updateHeaders` (its log), a known incompatibility with `@hono/node-server` newer ' +
        "than 1.14.2, which npm resolves from Portkey's `^1.3.3` range (https://github.com/Portkey-AI/gateway/issues/1389). It fails the same way on " +
        'Node 20, so it is the dependency, not the Node version. Its code also waits 25 ms before forwarding the first event of an OpenAI stream (a ' +
        '`setTimeout` in its stream transformer), so its time to first byte would start at 25 ms once this is fixed (read from its code, not measured).',
    );
  }

  const maxConnections = Math.max(...settings.connections);
  /** Warm-up runs per target: counted only to check the virtual-key target's ledger against the calls it answered. */
  const warmUps = new Map<TargetRecord, LoadResult[]>();
  for (const record of records) {
    for (const mode of MODES) {
      if (record.broken[mode] !== undefined) continue;
      context.log(`warm-up ${record.target.key} ${mode}`);
      warmUps.set(record, [...(warmUps.get(record) ?? []), await measureClosed(record, mode, maxConnections, settings.warmupMs / MODES.length)]);
    }
  }

  const floorOpen = new Map<string, OpenRun[]>();
  for (let round = 0; round < settings.rounds; round++) {
    const order = rotate(records, round);
    for (const mode of MODES) {
      for (const connections of settings.connections) {
        for (const record of order) {
          if (record.broken[mode] !== undefined) continue;
          const sampler = connections === maxConnections ? new RssSampler(record.target.process.pid) : null;
          const cpuBefore = readThreadCpu(record.target.process.pid);
          const result = await measureClosed(record, mode, connections, settings.measureMs);
          if (mode === 'json' && connections === maxConnections) {
            addThreadCpu(record.threadCpu, subtractThreadCpu(readThreadCpu(record.target.process.pid), cpuBefore));
            record.threadCpuRequests += result.completed;
          }
          const rss = sampler?.stop() ?? null;
          if (rss !== null) record.loadRssMb = Math.max(record.loadRssMb ?? 0, rss);
          addSeries(record.closed, `${mode}@${connections}`, result, result.rps);
          context.log(`round ${round + 1} ${mode} c${connections} ${record.target.key}: ${describe(result)}`);
          await pause(250);
        }
      }
    }
    for (const mode of MODES) await runOpenLoopRound(context, records, floorOpen, mode, round, maxConnections);
  }

  for (const record of records) {
    record.peakRssMb = readProcessMemory(record.target.process.pid).peakRssMb;
  }
  for (const record of records) {
    const usage = await record.target.tenantUsage?.();
    if (usage !== undefined) notes.push(describeLedgerCount(record, usage, warmUps.get(record) ?? [], maxConnections));
  }
  await pause(1_000);
  for (const record of records) {
    record.idleAfterRssMb = readProcessMemory(record.target.process.pid).rssMb;
    await context.processes.stop(record.target.process);
  }
  const data: ProxyOverheadData = { settings, records, floorOpen, notes, maxConnections, nginxFound: nginx !== null };
  const report = renderProxyOverheadReport(data);
  return others
    ? report
    : {
        ...report,
        title: 'Crossway with a virtual key and a priced route: upstream direct, minimal Node proxy, Crossway (master key), Crossway (virtual key)',
      };
}

/**
 * One open-loop pass: every target at `rateFraction` of the reference's saturation (Crossway's, or the ceiling's when
 * Crossway cannot serve this mode), except targets that saturate well below that rate, which run at the same fraction of
 * their own saturation; the floor is measured at each rate used, so added latency always compares equal loads.
 */
async function runOpenLoopRound(
  context: BenchContext,
  records: TargetRecord[],
  floorOpen: Map<string, OpenRun[]>,
  mode: Mode,
  round: number,
  maxConnections: number,
): Promise<void> {
  const { settings } = context;
  const key = `${mode}@${maxConnections}`;
  const saturation = (record: TargetRecord) => record.closed.get(key)?.roundsRps[round] ?? 0;
  const working = records.filter((record) => record.broken[mode] === undefined);
  const floor = working.find((record) => record.target.key === 'upstream');
  const reference = working.find((record) => record.target.key === 'crossway') ?? working.find((record) => record.target.key === 'minimal-proxy');
  if (floor === undefined || reference === undefined) return;
  const referenceRate = Math.max(1, Math.round(settings.rateFraction * saturation(reference)));
  const runs: Array<{ record: TargetRecord; rate: number; group: string; isFloor: boolean }> = [];
  const groups = new Map<string, number>([['reference', referenceRate]]);
  for (const record of working) {
    if (record === floor) continue;
    const own = Math.max(1, Math.round(settings.rateFraction * saturation(record)));
    const group = own < 0.9 * referenceRate ? record.target.key : 'reference';
    if (group !== 'reference') groups.set(group, own);
    runs.push({ record, rate: group === 'reference' ? referenceRate : own, group, isFloor: false });
  }
  for (const [group, rate] of groups) runs.push({ record: floor, rate, group, isFloor: true });
  for (const run of rotate(runs, round)) {
    const result = await runUndiciLoad(run.record.target.request(mode === 'stream'), {
      connections: maxConnections,
      durationMs: settings.rateMs,
      rate: run.rate,
      maxOutstanding: maxConnections * 4,
    });
    const entry: OpenRun = { round, rate: run.rate, group: run.group, result };
    if (run.isFloor) floorOpen.set(`${mode}@${run.group}`, [...(floorOpen.get(`${mode}@${run.group}`) ?? []), entry]);
    else run.record.open.set(mode, [...(run.record.open.get(mode) ?? []), entry]);
    const who = run.isFloor ? `upstream (at ${run.group} rate)` : run.record.target.key;
    context.log(`round ${round + 1} ${mode} open loop ${run.rate}/s ${who}: ${describe(result)}`);
    await pause(250);
  }
}

/**
 * The virtual-key target's usage events against the calls the load generators saw answered (warm-up, runs, the two
 * probes and the start-up check): at least one event per answered call. A run's end may cut calls the gateway still
 * completes and records (at most 4 × connections outstanding in an open-loop run), so the ledger may hold more.
 */
function describeLedgerCount(record: TargetRecord, usage: TenantUsage, warmUps: LoadResult[], maxConnections: number): string {
  const runs = [...warmUps, ...[...record.closed.values()].map((series) => series.total), ...[...record.open.values()].flat().map((run) => run.result)];
  const answered = runs.reduce((sum, result) => sum + result.completed, 0) + MODES.length + 1;
  const runCount =
    warmUps.length + [...record.closed.values()].reduce((sum, series) => sum + series.roundsRps.length, 0) + [...record.open.values()].flat().length;
  const cutBound = runCount * maxConnections * 4;
  const verdict =
    usage.requests < answered
      ? `**fewer events than answered calls**: not every call was metered`
      : usage.requests <= answered + cutBound
        ? 'at least one per answered call, as it must be (the excess is calls cut at the end of a run)'
        : `more than the ${cutBound} calls the runs' ends can cut`;
  return (
    `${record.target.label}: the ledger holds ${usage.requests} usage events for its tenant, charged ${usage.charged} ${usage.currency}, against ` +
    `${answered} calls the bench saw answered: ${verdict}.`
  );
}

function measureClosed(record: TargetRecord, mode: Mode, connections: number, durationMs: number): Promise<LoadResult> {
  return mode === 'json'
    ? runAutocannonLoad(record.target.request(false), { connections, durationMs })
    : runUndiciLoad(record.target.request(true), { connections, durationMs });
}

function addSeries(map: TargetRecord['closed'], key: string, result: LoadResult, rps: number): void {
  const entry = map.get(key) ?? { total: emptyLoadResult(), roundsRps: [] };
  mergeLoadResult(entry.total, result);
  entry.roundsRps.push(rps);
  map.set(key, entry);
}

function describe(result: LoadResult): string {
  const latency = result.latency.summary();
  const failed = result.non2xx + result.errors + result.dropped;
  return `${Math.round(result.rps)}/s p50 ${latency.p50?.toFixed(2)} ms p99 ${latency.p99?.toFixed(2)} ms${failed > 0 ? ` failed ${failed}` : ''}`;
}

/** The list rotated left by `by`, so that no target always runs first (or right after the same neighbour). */
function rotate<T>(items: T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
