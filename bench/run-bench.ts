// `npm run bench`: runs the selected scenarios one after the other, then writes BENCHMARKS.md and its charts. Every
// child process is started through one ChildProcessSet and killed by its PID at the end, on error and on Ctrl-C.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, ScenarioResult } from './bench-types.ts';
import { ChildProcessSet } from './child-processes.ts';
import { describeMachine } from './describe-machine.ts';
import { describeForeignCpu, ForeignCpuMonitor } from './foreign-cpu-monitor.ts';
import { BENCH_USAGE, parseBenchOptions } from './parse-bench-options.ts';
import { writeBenchmarksReport } from './report/write-benchmarks-report.ts';
import { scenarios, selectScenarios } from './scenarios/scenario-registry.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<number> {
  const parsed = parseBenchOptions(process.argv.slice(2), repoRoot);
  if (parsed.kind === 'help') {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'list') {
    for (const scenario of scenarios) process.stdout.write(`${scenario.name}${scenario.enabledByDefault ? '' : ' (opt-in)'}: ${scenario.description}\n`);
    return 0;
  }
  const { settings, command } = parsed;
  const selected = selectScenarios(settings.only);
  const startedAt = new Date();
  const started = performance.now();
  const tempDir = mkdtempSync(join(tmpdir(), 'crossway-bench-'));
  const processes = new ChildProcessSet();
  const cleanUp = (): void => {
    processes.killAllNow();
    rmSync(tempDir, { recursive: true, force: true });
  };
  process.once('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanUp();
      process.exit(130);
    });
  }
  const log = (message: string): void => {
    process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
  };
  const context: BenchContext = { settings, repoRoot, tempDir, processes, log };
  const foreignCpu = new ForeignCpuMonitor();

  const results: ScenarioResult[] = [];
  let failures = 0;
  try {
    for (const scenario of selected) {
      log(`scenario ${scenario.name}`);
      try {
        results.push(await scenario.run(context));
      } catch (error) {
        failures += 1;
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`scenario ${scenario.name} failed: ${message}`);
        results.push({
          title: scenario.name,
          markdown: `Failed: \`${(error as Error).message?.split('\n')[0] ?? String(error)}\``,
          headline: [],
          targets: [],
          artifacts: [],
          skipped: 'failed',
        });
      } finally {
        await processes.stopAll();
      }
    }
  } finally {
    await processes.stopAll();
  }
  const elapsedMs = performance.now() - started;
  const foreign = describeForeignCpu(foreignCpu.stop());
  log(foreign);
  const machine = [...describeMachine(), foreign];
  const written = writeBenchmarksReport({ outFile: settings.outFile, command, settings, machine, startedAt, elapsedMs, results });
  log(`wrote ${written.map((path) => relative(process.cwd(), path) || path).join(', ')} in ${(elapsedMs / 1000).toFixed(0)} s`);
  for (const result of results) for (const line of result.headline) process.stdout.write(`${line.replaceAll('**', '')}\n`);
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main();
