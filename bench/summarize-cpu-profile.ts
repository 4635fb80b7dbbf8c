// Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per file, highest first.
// As a command: `node bench/summarize-cpu-profile.ts <file.cpuprofile> [--top=30]`.
// Format: Chrome DevTools Protocol, Profiler.Profile (nodes with callFrame and children, samples, timeDeltas in µs),
// https://chromedevtools.github.io/devtools-protocol/tot/Profiler/#type-Profile
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** The parts of a `.cpuprofile` read here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeEntry {
  name: string;
  /** File and line, shortened relative to the repository. */
  location: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time grouped by where the code lives: a part of src/, a package, Node core, GC, socket writes. */
  categories: SelfTimeEntry[];
  /** Time not spent idle (everything but the `(idle)` node); shares are of this. */
  busyMs: number;
  functions: SelfTimeEntry[];
  files: SelfTimeEntry[];
}

/** Self time per function (name + location) and per file, sorted by self time. */
export function summarizeCpuProfile(profile: CpuProfile, repoRoot = process.cwd()): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time since the previous sample; it is charged to sample i's node.
  for (const [index, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[index] ?? 0));
  const functions = new Map<string, SelfTimeEntry>();
  const files = new Map<string, SelfTimeEntry>();
  const categories = new Map<string, SelfTimeEntry>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') idleUs += us;
    const file = shortenUrl(url, repoRoot);
    const name = functionName === '' ? '(anonymous)' : functionName;
    const location = file === '' ? '' : `${file}:${lineNumber + 1}`;
    const fnKey = `${name}@${location}`;
    const fn = functions.get(fnKey) ?? { name, location, selfMs: 0, share: 0 };
    fn.selfMs += us / 1000;
    functions.set(fnKey, fn);
    const categoryKey = categorize(name, file);
    const category = categories.get(categoryKey) ?? { name: categoryKey, location: '', selfMs: 0, share: 0 };
    category.selfMs += us / 1000;
    categories.set(categoryKey, category);
    const fileKey = file === '' ? name : file;
    const entry = files.get(fileKey) ?? { name: fileKey, location: '', selfMs: 0, share: 0 };
    entry.selfMs += us / 1000;
    files.set(fileKey, entry);
  }
  const busyMs = (totalUs - idleUs) / 1000;
  const finish = (entries: Iterable<SelfTimeEntry>) =>
    [...entries]
      .filter((entry) => entry.name !== '(idle)')
      .map((entry) => ({ ...entry, share: busyMs > 0 ? entry.selfMs / busyMs : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: totalUs / 1000, busyMs, categories: finish(categories.values()), functions: finish(functions.values()), files: finish(files.values()) };
}

/** `src/store/…` -> `src/store`, `node_modules/kysely/…` -> `kysely`, `node:…` -> Node core; V8's own entries by name. */
function categorize(name: string, file: string): string {
  if (name === '(idle)') return '(idle)';
  if (name === '(garbage collector)') return 'garbage collector';
  if (file === '' && (name === 'writev' || name === 'writeUtf8String' || name === 'writeBuffer' || name === 'writeLatin1String'))
    return 'socket writes (system calls)';
  // Posting to another thread wakes it; on a busy machine the kernel may run the woken thread at once, and the
  // profiler (which samples wall-clock ticks) counts the wait against the call that woke it, like a socket write.
  if (file === '' && name === 'postMessage') return 'writer-thread messages (postMessage)';
  if (file.startsWith('node:')) return 'Node core (http, streams, events, timers)';
  const inModules = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (inModules !== null) return `package ${inModules[1]}`;
  const part = /^(src\/[^/]+|bench|test)\//.exec(file);
  if (part !== null) return part[1]!;
  return 'V8 and native (compile, microtasks, other)';
}

/** `file:///work/main/src/x.ts` -> `src/x.ts`; `node:internal/...` stays; node_modules paths keep the package part. */
function shortenUrl(url: string, repoRoot: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const inModules = path.lastIndexOf('node_modules/');
  if (inModules !== -1) return path.slice(inModules);
  return path.startsWith('/') ? relative(repoRoot, path) : path;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node bench/summarize-cpu-profile.ts <file.cpuprofile> [--top=30]\n');
    process.exit(2);
  }
  const top = Number(process.argv.find((arg) => arg.startsWith('--top='))?.slice(6) ?? 30);
  const summary = summarizeCpuProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  process.stdout.write(`busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms sampled\n\nself time by function:\n`);
  for (const entry of summary.functions.slice(0, top)) {
    process.stdout.write(`${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.selfMs.toFixed(1).padStart(8)} ms  ${entry.name}  ${entry.location}\n`);
  }
  process.stdout.write('\nself time by file:\n');
  for (const entry of summary.files.slice(0, top)) {
    process.stdout.write(`${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.selfMs.toFixed(1).padStart(8)} ms  ${entry.name}\n`);
  }
}
