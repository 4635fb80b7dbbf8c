// Where Crossway's idle resident memory goes: bench/crossway-memory-stages.js starts the gateway step by step as
// `crossway serve` does (Node, the module graph, the SQLite store, its writer thread, the listening gateway, the
// started gateway) and prints the memory after each, and a bare `node -e` process gives the floor. Beside the measured
// start (the build in dist/, bin/start-memory.js's collection): the same without it, and the TypeScript sources with
// and without the compile cache (what runs when there is no fresh build).
import { join } from 'node:path';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { formatMb } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';
import { startUpstream, writeCrosswayConfig } from '../targets/start-targets.ts';

/** Long enough for a start that builds dist/ first (the priming run, when the sources changed). */
const READY_TIMEOUT_MS = 60_000;
/** Issue 14's goal for the idle RSS of `crossway serve`. */
const IDLE_RSS_LIMIT_MB = 100;

/** One `stage {json}` line of crossway-memory-stages.js (the floor process prints the first five fields). */
interface Stage {
  name: string;
  compiled?: boolean;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  rssBeforeGcMb?: number;
  heapResidentMb?: number;
  youngGenerationResidentMb?: number;
  executableMb?: number | null;
  mallocMb?: number | null;
  anonymousMb?: number | null;
  otherFilesMb?: number | null;
  threads?: number;
  writerRunning?: boolean;
  stripperLoaded?: boolean | null;
}

/** The `modules {json}` line of a `--count-modules` run. */
interface ModuleCount {
  builtin: number;
  src: number;
  nodeModules: number;
  packages: Array<{ name: string; modules: number; kb: number }>;
}

interface ProbeRun {
  stages: Map<string, Stage>;
  modules: ModuleCount | null;
}

const STAGES: Array<{ name: string; label: string }> = [
  { name: 'node', label: 'Node started, compile cache on (nothing of Crossway loaded)' },
  { name: 'modules', label: '+ module graph (catalog, server and all they import; nothing started)' },
  { name: 'store', label: '+ catalog loaded, SQLite opened and migrated' },
  { name: 'store+writer', label: '+ SQLite writer thread (a second V8 isolate)' },
  { name: 'gateway+writer', label: '+ gateway listening (executor, tenancy, ledger, HTTP server)' },
  { name: 'started', label: "started: the start's garbage collected (what `crossway serve` idles at)" },
];

export const memoryBreakdownScenario: Scenario = {
  name: 'memory-breakdown',
  description: "Crossway's idle RSS stage by stage (Node, modules, store, writer thread, gateway, started) against a bare Node process",
  enabledByDefault: true,
  run: runMemoryBreakdown,
};

async function runMemoryBreakdown(context: BenchContext): Promise<ScenarioResult> {
  const upstream = await startUpstream(context, context.settings.streamChunks);
  const configPath = writeCrosswayConfig(context, upstream, 'crossway-memory-stages');
  const floor = await measureBareNode(context);
  // The first start builds dist/ when it is stale and is not measured; it counts the modules, which its hooks would skew.
  const counted = await runStages(context, 'memory-stages (priming)', configPath, { countModules: true });
  const measured = await runStages(context, 'memory-stages', configPath);
  const uncollected = await runStages(context, 'memory-stages (--no-collect)', configPath, { flags: ['--no-collect'] });
  // The sources: a first run fills the compile cache, as a first start does, and the second reads it.
  await runStages(context, 'memory-stages (sources, compile-cache priming)', configPath, { flags: ['--sources'] });
  const sources = await runStages(context, 'memory-stages (sources)', configPath, { flags: ['--sources'] });
  const uncached = await runStages(context, 'memory-stages (sources, no compile cache)', configPath, {
    flags: ['--sources'],
    env: { NODE_DISABLE_COMPILE_CACHE: '1' },
  });
  await context.processes.stop(upstream.process);

  const stage = (name: string, run: ProbeRun = measured): Stage => {
    const found = run.stages.get(name);
    if (found === undefined) throw new Error(`crossway-memory-stages.ts printed no '${name}' stage`);
    return found;
  };
  const final = stage('started');
  const listening = stage('gateway+writer');
  const finalUncollected = stage('started', uncollected);
  const finalSources = stage('started', sources);
  const finalUncached = stage('started', uncached);
  const added = (name: string, previous: string): number => stage(name).rssMb - stage(previous).rssMb;

  const overview = renderMarkdownTable(
    ['Stage', 'RSS', 'added RSS', 'heap used', 'heap total', 'external'],
    [
      ['bare `node -e` process (the floor)', formatMb(floor.rssMb), '', formatMb(floor.heapUsedMb), formatMb(floor.heapTotalMb), formatMb(floor.externalMb)],
      ...STAGES.map(({ name, label }, index) => {
        const measuredStage = stage(name);
        const previousRss = index === 0 ? floor.rssMb : stage(STAGES[index - 1]!.name).rssMb;
        return [
          `\`${name}\`: ${label}`,
          formatMb(measuredStage.rssMb),
          formatAddedMb(measuredStage.rssMb - previousRss),
          formatMb(measuredStage.heapUsedMb),
          formatMb(measuredStage.heapTotalMb),
          formatMb(measuredStage.externalMb),
        ];
      }),
    ],
    [false, true, true, true, true, true],
  );
  const pages = renderMarkdownTable(
    [
      'Stage',
      'node executable (shared file pages)',
      'malloc arena',
      'other anonymous (V8 heaps, stacks)',
      'other files',
      'main V8 heap resident',
      'of it: young generation',
    ],
    STAGES.map(({ name }) => {
      const measuredStage = stage(name);
      return [
        `\`${name}\``,
        formatMb(measuredStage.executableMb),
        formatMb(measuredStage.mallocMb),
        formatMb(measuredStage.anonymousMb),
        formatMb(measuredStage.otherFilesMb),
        formatMb(measuredStage.heapResidentMb),
        formatMb(measuredStage.youngGenerationResidentMb),
      ];
    }),
    [false, true, true, true, true, true, true],
  );

  const notes = [
    `Every reading follows a 200 ms pause and a forced full collection (\`--expose-gc\`), so that it shows what the stage keeps. Without that ` +
      `collection the listening gateway read ${formatMb(listening.rssBeforeGcMb)} and the started one ${formatMb(final.rssBeforeGcMb)} ` +
      "(proxy-overhead's idle RSS is such an unforced reading of `crossway serve`). RSS counts shared pages too: the node executable's pages are " +
      'file-backed and shared with every other Node process on the machine.',
    `Code: ${final.compiled === true ? 'the build in `dist/` (bin/build-dist.js, rebuilt by the priming run when stale)' : 'NOT the build: the sources'}; ` +
      `the TypeScript stripper loaded: ${yesNo(final.stripperLoaded)}.`,
    'The writer thread: ' +
      (final.writerRunning === true
        ? `running in the last stage (thread \`crossway-sqlite-writer\`, ${final.threads} threads in all)`
        : 'NOT seen running in the last stage') +
      '; `store+writer` starts it with a write that changes nothing, ahead of the gateway, whose own start (key-hash secret, default tenant) ' +
      'would otherwise start it.',
    '`started` is what `crossway serve` does once it listens (bin/start-memory.js): one memory-reducing collection drops what the start ' +
      "left, shrinks the young generation and releases freed pages, which the stages' ordinary forced collections do not. Without it " +
      `(\`--no-collect\`): **${formatMb(finalUncollected.rssMb)}** in the last stage (${formatAddedMb(finalUncollected.rssMb - final.rssMb)}; ` +
      `${formatMb(finalUncollected.rssBeforeGcMb)} unforced), young generation ${formatMb(finalUncollected.youngGenerationResidentMb)} instead of ` +
      `${formatMb(final.youngGenerationResidentMb)}.`,
    `From the TypeScript sources (what \`crossway\` runs when there is no fresh build and no TypeScript to make one), with the compile cache: ` +
      `**${formatMb(finalSources.rssMb)}** in the last stage (${formatAddedMb(finalSources.rssMb - final.rssMb)}; stripper loaded: ` +
      `${yesNo(finalSources.stripperLoaded)}); without the cache (\`NODE_DISABLE_COMPILE_CACHE=1\`, every module stripped and compiled from ` +
      `source, as on a first start): **${formatMb(finalUncached.rssMb)}** (${formatAddedMb(finalUncached.rssMb - final.rssMb)}; stripper loaded: ` +
      `${yesNo(finalUncached.stripperLoaded)}).`,
  ];
  if (counted.modules !== null) {
    const { modules } = counted;
    const top = modules.packages
      .slice(0, 6)
      .map((entry) => `${entry.name} ${entry.modules} modules, ${entry.kb} kB`)
      .join('; ');
    notes.push(
      `Modules loaded on the main thread (counted by a load hook in the unmeasured priming start): ${modules.src} from \`src/\`, ` +
        `${modules.nodeModules} from ${modules.packages.length} packages in node_modules, ${modules.builtin} built-in. ` +
        `Largest packages by source size: ${top}.`,
    );
  }

  const gatewayAdded = listening.rssMb - stage('modules').rssMb;
  const headline =
    `Crossway idle RSS by stage: Node **${formatMb(stage('node').rssMb)}**, + modules **${formatMb(added('modules', 'node'))}**, + gateway ` +
    `**${formatMb(gatewayAdded)}** (store ${formatMb(added('store', 'modules'))}, writer thread ${formatMb(added('store+writer', 'store'))}, the rest ` +
    `${formatMb(added('gateway+writer', 'store+writer'))}), started **${formatAddedMb(added('started', 'gateway+writer'))}** = ` +
    `**${formatMb(final.rssMb)}**; without that collection ${formatMb(finalUncollected.rssMb)}; from the sources ${formatMb(finalSources.rssMb)}, ` +
    `without the compile cache ${formatMb(finalUncached.rssMb)}; bare Node ${formatMb(floor.rssMb)}.`;

  return {
    title: "Idle memory: where Crossway's resident set goes",
    markdown: [
      `\`bench/crossway-memory-stages.js\` starts Crossway as \`crossway serve\` does (the build in \`dist/\` when fresh, V8's compilers ` +
        'the same catalog loading and `startGateway`, one route to the minimal upstream, SQLite in the temp dir, the collection once started) and reads its ' +
        'memory after each stage, in MB of 10^6 bytes. No request is sent. A first start (which builds `dist/` when it is stale) is discarded.',
      overview,
      "The same stages by what backs the resident pages (`/proc/self/smaps`), and the main thread's V8 heap:",
      pages,
      notes.map((note) => `- ${note}`).join('\n'),
    ].join('\n\n'),
    headline: [headline],
    targets: [
      {
        goal: `Idle RSS of \`crossway serve\` <= ${IDLE_RSS_LIMIT_MB} MB (issue 14)`,
        measured: `${formatMb(final.rssMb)} (stage \`started\`; ${formatMb(final.rssBeforeGcMb)} before its forced collection)`,
        met: Math.max(final.rssMb, final.rssBeforeGcMb ?? 0) <= IDLE_RSS_LIMIT_MB,
        evidence:
          `Node itself (${formatMb(stage('node').rssMb)}), the module graph (${formatMb(added('modules', 'node'))}) and the SQLite writer thread ` +
          `(${formatMb(added('store+writer', 'store'))}, a second V8 isolate), stage by stage in "Idle memory".`,
      },
    ],
    artifacts: [],
  };
}

interface StagesOptions {
  countModules?: boolean;
  env?: NodeJS.ProcessEnv;
  /** crossway-memory-stages.js's own flags (--sources, --no-collect). */
  flags?: string[];
}

/** Starts the stage probe, waits for its `done` (bounded), reads its lines and stops it. */
async function runStages(context: BenchContext, name: string, configPath: string, options: StagesOptions = {}): Promise<ProbeRun> {
  // No NODE_COMPILE_CACHE: the probe turns the cache on where bin/crossway.js does (for the sources, in the system
  // temp directory, which the other Node targets share), and leaves it off for the build.
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.NODE_COMPILE_CACHE;
  delete env.CROSSWAY_MASTER_KEY;
  delete env.CROSSWAY_CONFIG;
  if (options.env?.NODE_DISABLE_COMPILE_CACHE === undefined) delete env.NODE_DISABLE_COMPILE_CACHE;
  const args = [
    '--expose-gc',
    join(context.repoRoot, 'bench/crossway-memory-stages.js'),
    '--config',
    configPath,
    ...(options.flags ?? []),
    ...(options.countModules === true ? ['--count-modules'] : []),
  ];
  context.log(`memory-breakdown: ${name}`);
  const started = await context.processes.start(name, process.execPath, args, {
    cwd: context.repoRoot,
    env,
    readyLine: /^done$/m,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  const output = started.output();
  await context.processes.stop(started);
  const run: ProbeRun = { stages: new Map(), modules: null };
  for (const line of output.split('\n')) {
    if (line.startsWith('stage ')) {
      const stage = JSON.parse(line.slice('stage '.length)) as Stage;
      run.stages.set(stage.name, stage);
    } else if (line.startsWith('modules ')) run.modules = JSON.parse(line.slice('modules '.length)) as ModuleCount;
  }
  return run;
}

/** RSS of a Node process that loads nothing, read the same way (a pause, a forced collection). */
async function measureBareNode(context: BenchContext): Promise<Stage> {
  const script =
    `setTimeout(() => { gc(); const m = process.memoryUsage(); console.log('stage ' + JSON.stringify({ name: 'floor', rssMb: m.rss / 1e6, heapUsedMb: ` +
    'm.heapUsed / 1e6, heapTotalMb: m.heapTotal / 1e6, externalMb: m.external / 1e6 })); }, 200);';
  const started = await context.processes.start('bare node', process.execPath, ['--expose-gc', '-e', script], {
    cwd: context.tempDir,
    readyLine: /^stage (\{.*\})$/m,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  await context.processes.stop(started);
  return JSON.parse(started.ready![1]!) as Stage;
}

/** `+14.8 MB`, `−2.0 MB`. */
function formatAddedMb(value: number): string {
  return `${value >= 0 ? '+' : '−'}${formatMb(Math.abs(value))}`;
}

function yesNo(value: boolean | null | undefined): string {
  return value === undefined || value === null ? 'n/a' : value ? 'yes' : 'no';
}
