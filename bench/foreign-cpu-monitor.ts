// How busy the machine was with work that is not the bench's: other processes on a shared machine (a test run, a
// type-check) and the hypervisor's steal time disturb every measurement, so the report states them.
// Source: proc(5), "/proc/stat" (cpu line, in USER_HZ ticks) and "/proc/pid/stat" (utime, stime, cutime, cstime).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { processTree } from './read-process-memory.ts';

/** What the machine did besides the bench, as shares of all its CPUs. */
export interface ForeignCpuSummary {
  /** Average share of the machine's CPU time used by processes outside the bench. */
  foreignShare: number;
  /** Highest such share over one sampling window. */
  foreignPeakShare: number;
  /** Share stolen by the hypervisor. */
  stealShare: number;
  samples: number;
}

interface Reading {
  busy: number;
  steal: number;
  total: number;
  ours: number;
}

/** Samples /proc every `intervalMs` until stopped; null on systems without /proc. */
export class ForeignCpuMonitor {
  readonly #timer: NodeJS.Timeout | null;
  readonly #first: Reading | null;
  #last: Reading | null;
  #peak = 0;
  #samples = 0;

  constructor(intervalMs = 1_000) {
    this.#first = read();
    this.#last = this.#first;
    this.#timer = this.#first === null ? null : setInterval(() => this.#sample(), intervalMs);
    this.#timer?.unref();
  }

  stop(): ForeignCpuSummary | null {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#sample();
    const first = this.#first;
    const last = this.#last;
    if (first === null || last === null || last.total <= first.total) return null;
    const total = last.total - first.total;
    return {
      foreignShare: Math.max(0, last.busy - first.busy - (last.ours - first.ours)) / total,
      foreignPeakShare: this.#peak,
      stealShare: (last.steal - first.steal) / total,
      samples: this.#samples,
    };
  }

  #sample(): void {
    const now = read();
    const before = this.#last;
    if (now === null || before === null) return;
    const total = now.total - before.total;
    if (total > 0) {
      this.#peak = Math.max(this.#peak, Math.max(0, now.busy - before.busy - (now.ours - before.ours)) / total);
      this.#samples += 1;
    }
    this.#last = now;
  }
}

function read(): Reading | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq!;
    return { busy, steal: steal!, total: busy + idle! + iowait! + steal!, ours: ourTicks() };
  } catch {
    return null;
  }
}

/** CPU ticks of the bench process and its descendants, children already reaped included (cutime, cstime). */
function ourTicks(): number {
  let ticks = 0;
  for (const pid of processTree(process.pid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      // Fields 14-17 of proc(5) (utime, stime, cutime, cstime) sit at 11-14 once the first two are cut off.
      ticks += fields[11]! + fields[12]! + fields[13]! + fields[14]!;
    } catch {
      // Exited between listing and reading.
    }
  }
  return ticks;
}

/** "2 cores" worth of a share, for the report. */
export function describeForeignCpu(summary: ForeignCpuSummary | null): string {
  if (summary === null) return 'Load from other processes: not measurable here (no /proc).';
  const cores = cpus().length;
  const asCores = (share: number) => `${(share * cores).toFixed(2)} of ${cores} cores`;
  return (
    `Load from other processes during this run: ${asCores(summary.foreignShare)} on average, ${asCores(summary.foreignPeakShare)} at the worst second; ` +
    `hypervisor steal ${(summary.stealShare * 100).toFixed(1)}%. Numbers from a busy machine are noisier; the per-round columns show how much.`
  );
}
