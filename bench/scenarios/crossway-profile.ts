// Runs the minimal proxy and Crossway under `node --cpu-prof` at the highest connection count (JSON: Crossway with the
// master key, and with a tenant's virtual key on a priced route as in production; with `--only=crossway-profile` longer
// and with streams too) and shows where each spends its CPU per request, side by side: self time by category (a part
// of src/, a package, Node core, GC, socket writes) and Crossway's top functions. The .cpuprofile files stay in the system temp directory for a flame graph
// (Chrome DevTools, speedscope).
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { runAutocannonLoad } from '../load/run-autocannon-load.ts';
import { runUndiciLoad } from '../load/run-undici-load.ts';
import { formatRate } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';
import { summarizeCpuProfile, type CpuProfile, type ProfileSummary } from '../summarize-cpu-profile.ts';
import { startCrossway, startMinimalProxy, startUpstream, type Target } from '../targets/start-targets.ts';

const TOP_FUNCTIONS = 25;

export const crosswayProfileScenario: Scenario = {
  name: 'crossway-profile',
  description:
    'CPU profiles of the minimal proxy and Crossway (master key; virtual key and priced route) under the 64-connection load: µs per request by ' +
    'category, where the gap is, top functions',
  // In every run: it is the evidence behind the throughput target's verdict. The default run keeps it short and
  // profiles JSON only; `--only=crossway-profile` profiles longer and adds the streaming profile.
  enabledByDefault: true,
  run: runCrosswayProfile,
};

interface Profiled {
  label: string;
  summary: ProfileSummary;
  /** Requests answered while the profiler ran (warm-up included). */
  requests: number;
  rps: number;
  file: string;
}

async function runCrosswayProfile(context: BenchContext): Promise<ScenarioResult> {
  const connections = Math.max(...context.settings.connections);
  const brief = !context.settings.only.includes('crossway-profile');
  const warmupMs = brief ? Math.min(1_500, context.settings.warmupMs) : context.settings.warmupMs;
  const measureMs = brief ? Math.min(4_000, context.settings.measureMs * 2) : context.settings.measureMs * 2;
  const upstream = await startUpstream(context, context.settings.streamChunks);
  const profile = async (label: string, stream: boolean, start: (flags: string[], dir: string) => Promise<Target>): Promise<Profiled | null> => {
    const dir = join(context.tempDir, `profile-${label.replaceAll(/\W+/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    const target = await start(['--cpu-prof', `--cpu-prof-dir=${dir}`], dir);
    const load = (durationMs: number) =>
      stream ? runUndiciLoad(target.request(true), { connections, durationMs }) : runAutocannonLoad(target.request(false), { connections, durationMs });
    context.log(`crossway-profile: ${label} under --cpu-prof`);
    const warm = await load(warmupMs);
    const measured = await load(measureMs);
    await context.processes.stop(target.process, 10_000);
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) return null;
    const keepDir = join(tmpdir(), 'crossway-bench-profiles');
    mkdirSync(keepDir, { recursive: true });
    const kept = join(keepDir, `${label.replaceAll(/\W+/g, '-')}-${Date.now()}.cpuprofile`);
    copyFileSync(join(dir, file), kept);
    const summary = summarizeCpuProfile(JSON.parse(readFileSync(kept, 'utf8')) as CpuProfile, context.repoRoot);
    return { label, summary, requests: warm.completed + measured.completed, rps: measured.rps, file: kept };
  };
  const runs = [
    await profile('minimal proxy, JSON', false, (flags) => startMinimalProxy(context, upstream, flags)),
    await profile('Crossway, JSON', false, (flags) =>
      startCrossway(context, upstream, {
        name: 'crossway-profile-json',
        entry: (config) => [...flags, join(context.repoRoot, 'bin/crossway.js'), 'serve', '--config', config],
      }),
    ),
    await profile('Crossway, JSON, virtual key', false, (flags) =>
      startCrossway(context, upstream, {
        name: 'crossway-profile-vk',
        virtualKey: true,
        entry: (config) => [...flags, join(context.repoRoot, 'bin/crossway.js'), 'serve', '--config', config],
      }),
    ),
    brief
      ? null
      : await profile('Crossway, streaming', true, (flags) =>
          startCrossway(context, upstream, {
            name: 'crossway-profile-stream',
            entry: (config) => [...flags, join(context.repoRoot, 'bin/crossway.js'), 'serve', '--config', config],
          }),
        ),
  ].filter((run): run is Profiled => run !== null);
  await context.processes.stop(upstream.process);

  const perRequest = (run: Profiled, ms: number) => perRequestUs(run, ms).toFixed(1);
  const categories = [...new Set(runs.flatMap((run) => run.summary.categories.map((entry) => entry.name)))];
  const sortKey = (name: string) =>
    Math.max(...runs.map((run) => (run.summary.categories.find((entry) => entry.name === name)?.selfMs ?? 0) / Math.max(1, run.requests)));
  categories.sort((a, b) => sortKey(b) - sortKey(a));
  const sections = [
    `Each process profiled for ${(warmupMs + measureMs) / 1000} s at ${connections} connections (warm-up included; start-up compile time is in the ` +
      'profile too, so small per-request figures are slight overestimates). CPU time is self time in microseconds per request served while profiled. ' +
      `Profiles: ${runs.map((run) => `\`${run.file}\``).join(', ')}.`,
    renderMarkdownTable(
      ['Category', ...runs.map((run) => `${run.label} (µs/req)`)],
      [
        ['all busy time', ...runs.map((run) => perRequest(run, run.summary.busyMs))],
        ['requests/s under the profiler', ...runs.map((run) => formatRate(run.rps))],
        ...categories.map((name) => [name, ...runs.map((run) => perRequest(run, run.summary.categories.find((entry) => entry.name === name)?.selfMs ?? 0))]),
      ],
      [false, ...runs.map(() => true)],
    ),
  ];
  for (const run of runs.filter((candidate) => candidate.label.startsWith('Crossway'))) {
    sections.push(
      `### Top functions: ${run.label}\n\n` +
        renderMarkdownTable(
          ['Function', 'Location', 'µs/req', 'share of busy'],
          run.summary.functions
            .slice(0, TOP_FUNCTIONS)
            .map((entry) => [entry.name, entry.location, perRequest(run, entry.selfMs), `${(entry.share * 100).toFixed(1)}%`]),
          [false, false, true, true],
        ),
    );
  }
  const ceiling = runs.find((run) => run.label.startsWith('minimal'));
  const crossway = runs.find((run) => run.label === 'Crossway, JSON');
  const virtualKey = runs.find((run) => run.label === 'Crossway, JSON, virtual key');
  if (crossway !== undefined && virtualKey !== undefined) sections.splice(1, 0, describeVirtualKeyCost(crossway, virtualKey));
  if (ceiling !== undefined && crossway !== undefined) sections.splice(1, 0, describeGap(ceiling, crossway));
  const headline =
    ceiling !== undefined && crossway !== undefined
      ? [
          'Event loop per non-streaming request under the profiler (wall-clock samples, so time spent waiting for a core counts too): ' +
            `Crossway ${perRequest(crossway, crossway.summary.busyMs)} µs` +
            `${virtualKey === undefined ? '' : ` (with a virtual key and a priced route ${perRequest(virtualKey, virtualKey.summary.busyMs)} µs)`}, ` +
            `minimal proxy ${perRequest(ceiling, ceiling.summary.busyMs)} µs.`,
        ]
      : [];
  return { title: 'CPU profiles: minimal proxy and Crossway', markdown: sections.join('\n\n'), headline, targets: [], artifacts: [] };
}

/**
 * Where Crossway's extra CPU per non-streaming request goes, category by category against the minimal proxy, and the
 * throughput ratio that CPU alone would allow: the evidence behind the throughput target's verdict.
 */
function describeGap(ceiling: Profiled, crossway: Profiled): string {
  const { gapUs, rows } = categoryGap(ceiling, crossway);
  const cpuRatio = perRequestUs(ceiling, ceiling.summary.busyMs) / perRequestUs(crossway, crossway.summary.busyMs);
  return [
    '### Where the gap is: Crossway minus the minimal proxy, non-streaming',
    '',
    `Crossway's event loop spends **${gapUs.toFixed(1)} µs more per request** than the minimal proxy's; if CPU on that thread were the only limit, ` +
      `Crossway could reach **${cpuRatio.toFixed(2)}×** the proxy's throughput. The proxy parses nothing, checks nothing and records nothing; Crossway ` +
      'authenticates, parses and validates the body, plans the route, reads the usage from the answer, and commits a usage event with its transfers ' +
      'durably (fsync) before it answers, besides queueing the request log and the decision. The profiler samples wall-clock ticks, so time a thread ' +
      `waits after waking another (a socket write waking the client, a \`postMessage\` waking the writer thread) while two cores serve four busy ` +
      `threads counts as that call's time.`,
    '',
    renderMarkdownTable(
      ['Category', 'Crossway − proxy (µs/req)', 'share of the gap'],
      rows.map((row) => [row.name, `${row.delta >= 0 ? '+' : ''}${row.delta.toFixed(1)}`, `${((row.delta / gapUs) * 100).toFixed(0)}%`]),
      [false, true, true],
    ),
  ].join('\n');
}

/**
 * What a tenant's virtual key with limits and a budget, on a priced route, adds per non-streaming request to the
 * master key on an unpriced route: the key's lookup, the rate limits and budget reservations, pricing and settlement.
 */
function describeVirtualKeyCost(master: Profiled, virtualKey: Profiled): string {
  const { gapUs, rows } = categoryGap(master, virtualKey);
  return [
    '### What a virtual key and a priced route add: Crossway (virtual key) minus Crossway (master key), non-streaming',
    '',
    `With a tenant's virtual key (RPM, TPM and a budget on the key and on its tenant) and a priced route, Crossway's event loop spends ` +
      `**${gapUs >= 0 ? '+' : ''}${gapUs.toFixed(1)} µs per request** against the master key on an unpriced route ` +
      `(${perRequestUs(virtualKey, virtualKey.summary.busyMs).toFixed(1)} against ${perRequestUs(master, master.summary.busyMs).toFixed(1)} µs). Two ` +
      'separate profiled runs on a shared machine: differences of a few µs are noise.',
    '',
    renderMarkdownTable(
      ['Category', 'virtual key − master key (µs/req)', 'share of the difference'],
      rows.map((row) => [row.name, `${row.delta >= 0 ? '+' : ''}${row.delta.toFixed(1)}`, gapUs > 0 ? `${((row.delta / gapUs) * 100).toFixed(0)}%` : 'n/a']),
      [false, true, true],
    ),
  ].join('\n');
}

/** Per-category self time of `other` minus `base` in µs per request (at least 0.5 µs either way), largest first. */
function categoryGap(base: Profiled, other: Profiled): { gapUs: number; rows: Array<{ name: string; delta: number }> } {
  const selfOf = (run: Profiled, name: string) => run.summary.categories.find((entry) => entry.name === name)?.selfMs ?? 0;
  const names = [...new Set([...base.summary.categories, ...other.summary.categories].map((entry) => entry.name))].filter((name) => name !== '(idle)');
  const gapUs = perRequestUs(other, other.summary.busyMs) - perRequestUs(base, base.summary.busyMs);
  const rows = names
    .map((name) => ({ name, delta: perRequestUs(other, selfOf(other, name)) - perRequestUs(base, selfOf(base, name)) }))
    .filter((row) => Math.abs(row.delta) >= 0.5)
    .sort((a, b) => b.delta - a.delta);
  return { gapUs, rows };
}

/** Microseconds of `ms` per request the run answered. */
function perRequestUs(run: Profiled, ms: number): number {
  return (ms * 1000) / Math.max(1, run.requests);
}
