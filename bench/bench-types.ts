// The contract between the bench runner and its scenarios: what a scenario receives and what it hands back.
import type { ChildProcessSet } from './child-processes.ts';

/** How long and how hard to measure; every scenario reads the same settings so that one run is one budget. */
export interface BenchSettings {
  /** Warm-up per target before its first measurement (load at the highest connection count). */
  warmupMs: number;
  /** One closed-loop measurement (a fixed number of connections, as fast as the target answers). */
  measureMs: number;
  /** One open-loop measurement (a fixed request rate, spread evenly). */
  rateMs: number;
  /** Interleaved rounds: every target is measured once per round, in an order rotated each round. */
  rounds: number;
  /** Closed-loop connection counts. */
  connections: number[];
  /** Fraction of the saturation throughput offered in the open-loop runs. */
  rateFraction: number;
  /** Content chunks of a normal streamed answer. */
  streamChunks: number;
  /** Content chunks of the long stream of the memory check. */
  memoryChunks: number;
  /** Iterations of the translation micro-benchmark. */
  translationIterations: number;
  /** Scenario names to run; empty means every scenario enabled by default. */
  only: string[];
  /** Where the report goes. */
  outFile: string;
}

/** Everything a scenario may use. */
export interface BenchContext {
  settings: BenchSettings;
  /** The repository checkout (the directory holding package.json). */
  repoRoot: string;
  /** A private temporary directory, removed when the run ends. */
  tempDir: string;
  /** Every child process a scenario starts goes through here, so that all are killed by PID at the end. */
  processes: ChildProcessSet;
  /** Progress line on stderr. */
  log(message: string): void;
}

/** A goal from the issue, and whether this run met it. */
export interface TargetCheck {
  goal: string;
  measured: string;
  /** null: not measured in this run (skipped), or not decidable. */
  met: boolean | null;
  /** Where a missed target's gap comes from, and which section of the report measures it. */
  evidence?: string;
}

/** A file a scenario produced besides the report (a chart), relative to the repository root. */
export interface ScenarioArtifact {
  path: string;
  content: string;
}

/** What a scenario hands back to the report. */
export interface ScenarioResult {
  /** Section heading in BENCHMARKS.md. */
  title: string;
  /** The section's Markdown body (tables, notes), without its heading. */
  markdown: string;
  /** Short lines for the report's headline block (ratios measured in this run). */
  headline: string[];
  targets: TargetCheck[];
  artifacts: ScenarioArtifact[];
  /** Set when the scenario could not run here; the report shows the reason. */
  skipped?: string;
}

/** One benchmark. Later work (policy planning, metering commits, stateful chains, replicas) adds its own. */
export interface Scenario {
  name: string;
  /** One line for `--list`. */
  description: string;
  /** Run by a plain `npm run bench`; opt-in scenarios run only when named with `--only`. */
  enabledByDefault: boolean;
  run(context: BenchContext): Promise<ScenarioResult>;
}

/** A result for a scenario that could not run. */
export function skippedResult(title: string, reason: string, targets: TargetCheck[] = []): ScenarioResult {
  return { title, markdown: `Skipped: ${reason}`, headline: [], targets, artifacts: [], skipped: reason };
}
