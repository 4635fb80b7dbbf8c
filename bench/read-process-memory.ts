// Resident memory of a process and its descendants from Linux's /proc (VmRSS now, VmHWM the peak so far), and a
// sampler that keeps the highest value seen while a load runs.
// Source: proc(5), "/proc/pid/status" (VmRSS, VmHWM in kB) and "/proc/pid/task/tid/children".
import { readFileSync } from 'node:fs';

/** Memory of a process tree in MB (10^6 bytes); null fields when /proc is not readable (not Linux, process gone). */
export interface ProcessMemory {
  rssMb: number | null;
  peakRssMb: number | null;
}

/** Sums VmRSS and VmHWM over `pid` and its descendants (nginx's workers, for instance). */
export function readProcessMemory(pid: number): ProcessMemory {
  let rss = 0;
  let peak = 0;
  let seen = false;
  for (const member of processTree(pid)) {
    const status = readStatus(member);
    if (status === null) continue;
    seen = true;
    rss += status.rssKb;
    peak += status.peakKb;
  }
  return seen ? { rssMb: (rss * 1024) / 1e6, peakRssMb: (peak * 1024) / 1e6 } : { rssMb: null, peakRssMb: null };
}

/** Samples a process tree's VmRSS every `intervalMs` and keeps the highest value. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  #maxMb: number | null = null;

  constructor(pid: number, intervalMs = 200) {
    this.#pid = pid;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  /** Stops sampling; returns the highest RSS seen in MB. */
  stop(): number | null {
    clearInterval(this.#timer);
    this.#sample();
    return this.#maxMb;
  }

  #sample(): void {
    const { rssMb } = readProcessMemory(this.#pid);
    if (rssMb !== null && (this.#maxMb === null || rssMb > this.#maxMb)) this.#maxMb = rssMb;
  }
}

function readStatus(pid: number): { rssKb: number; peakKb: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(text);
  const peak = /^VmHWM:\s+(\d+) kB/m.exec(text);
  if (rss === null || peak === null) return null;
  return { rssKb: Number(rss[1]), peakKb: Number(peak[1]) };
}

/** `pid` and its descendants, breadth first, bounded to a few hundred processes. */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let k = 0; k < tree.length && tree.length < 256; k++) {
    const member = tree[k]!;
    let children: string;
    try {
      children = readFileSync(`/proc/${member}/task/${member}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of children.split(' ')) if (child.trim() !== '') tree.push(Number(child));
  }
  return tree;
}
