// CPU time of a process tree's threads from Linux's /proc, grouped by what the thread does: the event loop, Crossway's
// SQLite writer thread, V8's helper threads (concurrent and parallel GC, background compilation), libuv's pool. CPU
// time counts only time a thread ran, so unlike a profiler's wall-clock samples it does not grow when two cores
// serve more busy threads than that and a thread waits its turn.
// Source: proc(5), "/proc/pid/task/tid/stat" (fields 14 utime and 15 stime, in clock ticks of 1/USER_HZ s; USER_HZ
// is 100 on Linux) and "/proc/pid/task/tid/comm" (the thread's name, at most 15 bytes).
import { readdirSync, readFileSync } from 'node:fs';
import { processTree } from './read-process-memory.ts';

const USER_HZ = 100;

/** Seconds of CPU per thread group. */
export type ThreadCpu = Map<string, number>;

/** The groups in the order reports show them. */
export const THREAD_GROUPS = ['event loop', 'SQLite writer thread', 'V8 helper threads', 'other threads'] as const;

/** CPU seconds used so far by the threads of `pid` and its descendants, per group; empty when /proc is not readable. */
export function readThreadCpu(pid: number): ThreadCpu {
  const cpu: ThreadCpu = new Map();
  for (const member of processTree(pid)) {
    let threads: string[];
    try {
      threads = readdirSync(`/proc/${member}/task`);
    } catch {
      continue;
    }
    for (const tid of threads) {
      try {
        const stat = readFileSync(`/proc/${member}/task/${tid}/stat`, 'utf8');
        // The name in parentheses may hold spaces; the fields after it are space-separated.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = Number(fields[11]) + Number(fields[12]);
        const group = groupOf(tid === String(member), readFileSync(`/proc/${member}/task/${tid}/comm`, 'utf8').trim());
        cpu.set(group, (cpu.get(group) ?? 0) + ticks / USER_HZ);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  }
  return cpu;
}

/** `after - before`, per group. */
export function subtractThreadCpu(after: ThreadCpu, before: ThreadCpu): ThreadCpu {
  const difference: ThreadCpu = new Map();
  for (const [group, seconds] of after) difference.set(group, seconds - (before.get(group) ?? 0));
  return difference;
}

/** Adds `more` into `total`. */
export function addThreadCpu(total: ThreadCpu, more: ThreadCpu): void {
  for (const [group, seconds] of more) total.set(group, (total.get(group) ?? 0) + seconds);
}

function groupOf(isMain: boolean, name: string): (typeof THREAD_GROUPS)[number] {
  if (isMain) return 'event loop';
  // SqliteWriteThread names its worker `crossway-sqlite-writer`; Linux keeps 15 bytes of it.
  if (name.startsWith('crossway-sqlite')) return 'SQLite writer thread';
  if (name.startsWith('V8')) return 'V8 helper threads';
  return 'other threads';
}
