// Command-line flags of `npm run bench -- [flags]`; the defaults fit a full run on a 2-core machine in under 5 minutes
// (they were 3000/3000/2000 ms before Crossway's virtual-key target joined proxy-overhead as its fifth target).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSettings } from './bench-types.ts';

export const BENCH_USAGE = `Usage: npm run bench -- [flags]
  --only=a,b          run only these scenarios (see --list); the report then goes to a temporary file unless --out is given
  --quick             1 round of short runs, for trying the harness (report to a temporary file unless --out is given)
  --rounds=N          interleaved rounds (default 3)
  --warmup-ms=N       warm-up per target (default 2000)
  --measure-ms=N      each closed-loop run (default 2000)
  --rate-ms=N         each open-loop run (default 1500)
  --connections=16,64 closed-loop connection counts
  --out=FILE          where the report goes (default BENCHMARKS.md for a full run)
  --list              list the scenarios
  --help`;

export type BenchCommand = { kind: 'run'; settings: BenchSettings; command: string } | { kind: 'list' } | { kind: 'help' };

/** Parses the flags; throws with the usage text on an unknown or malformed flag. */
export function parseBenchOptions(args: readonly string[], repoRoot: string): BenchCommand {
  const values = new Map<string, string>();
  for (const arg of args) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (match === null) throw new Error(`unexpected argument '${arg}'\n${BENCH_USAGE}`);
    values.set(match[1]!, match[2] ?? 'true');
  }
  if (values.has('help')) return { kind: 'help' };
  if (values.has('list')) return { kind: 'list' };
  const known = new Set(['only', 'quick', 'rounds', 'warmup-ms', 'measure-ms', 'rate-ms', 'connections', 'out']);
  for (const name of values.keys()) if (!known.has(name)) throw new Error(`unknown flag --${name}\n${BENCH_USAGE}`);

  const quick = values.has('quick');
  const only = (values.get('only') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const partial = quick || only.length > 0;
  const settings: BenchSettings = {
    warmupMs: integer(values, 'warmup-ms', quick ? 1_000 : 2_000),
    measureMs: integer(values, 'measure-ms', quick ? 1_500 : 2_000),
    rateMs: integer(values, 'rate-ms', 1_500),
    rounds: integer(values, 'rounds', quick ? 1 : 3),
    connections: (values.get('connections') ?? '16,64').split(',').map((text) => positive(Number(text), 'connections')),
    rateFraction: 0.5,
    streamChunks: 50,
    memoryChunks: quick ? 20_000 : 100_000,
    translationIterations: quick ? 20 : 60,
    only,
    outFile: values.get('out') ?? (partial ? join(tmpdir(), 'crossway-bench-report.md') : join(repoRoot, 'BENCHMARKS.md')),
  };
  const command = ['npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' ');
  return { kind: 'run', settings, command };
}

function integer(values: Map<string, string>, name: string, fallback: number): number {
  const text = values.get(name);
  return text === undefined ? fallback : positive(Number(text), name);
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs positive integers\n${BENCH_USAGE}`);
  return value;
}
