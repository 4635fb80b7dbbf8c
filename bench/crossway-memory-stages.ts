// Crossway's idle memory, stage by stage: the same catalog loading and startGateway as `crossway serve`, with the
// process's memory printed after each step (Node alone, the module graph, the SQLite store, its writer thread, the
// listening gateway) as `stage {json}` lines, then `done`; it stays up until SIGTERM. Each reading follows a short
// settle and a forced full collection, so that it shows what each stage keeps, not garbage the next one would free.
// `NODE_COMPILE_CACHE=DIR node --expose-gc bench/crossway-memory-stages.ts --config crossway.yaml [--count-modules]`
// The variable, not just enableCompileCache below: this entry is TypeScript itself, stripped before any line of it runs.
// `--count-modules` counts the main thread's modules with a load hook and prints `modules {json}` before `done`; hooks
// cost memory of their own, so the scenario counts in its discarded priming run and measures in a run without them.
import module from 'node:module';

// As bin/crossway.js does, before anything of Crossway is loaded: with a warm cache the sources load from compiled
// code and the TypeScript stripper is never loaded. Hence the dynamic imports below.
module.enableCompileCache?.();

const { readdirSync, readFileSync, realpathSync } = await import('node:fs');
const { getHeapSpaceStatistics, getHeapStatistics } = await import('node:v8');

/** Node's TypeScript stripper, as named in `process.moduleLoadList` once it has been loaded. */
const STRIPPER_MODULE = 'NativeModule internal/deps/amaro/dist/index';
/** SqliteWriteThread names its worker `crossway-sqlite-writer`; Linux keeps the first 15 bytes of a thread's name. */
const WRITER_THREAD_NAME = 'crossway-sqlite';
const SETTLE_MS = 200;

const configIndex = process.argv.indexOf('--config');
const configPath = configIndex === -1 ? undefined : process.argv[configIndex + 1];
if (configPath === undefined) throw new Error('usage: node --expose-gc bench/crossway-memory-stages.ts --config <file> [--count-modules]');
const exposedGc = (globalThis as { gc?: () => void }).gc;
if (exposedGc === undefined) throw new Error('run with --expose-gc');
const collect: () => void = exposedGc;
const readModuleCount = process.argv.includes('--count-modules') ? countLoadedModules() : undefined;

await printStage('node');

const { loadCatalogFile } = await import('../src/catalog/index.ts');
const { startGateway } = await import('../src/server/index.ts');
// Already part of the server's graph: this import loads nothing more.
const { openSqliteStore } = await import('../src/store/index.ts');
await printStage('modules');

// startGateway opens the store itself when given none, and its start writes (the key-hash secret, the default
// tenant), which starts the writer thread within it. Opening the store here, as startGateway would, and starting the
// writer with a write that changes nothing, puts the store and the writer thread in stages of their own.
const catalog = loadCatalogFile(configPath);
const store = await openSqliteStore(catalog.config.store.sqlite);
await store.migrate();
await printStage('store');

await store.pruneDecisions(new Date(0).toISOString());
await printStage('store+writer');

const gateway = await startGateway({ catalog, store });
process.stdout.write(`Crossway listening on ${gateway.url}\n`);
await printStage('gateway+writer');

if (readModuleCount !== undefined) process.stdout.write(`modules ${JSON.stringify(readModuleCount())}\n`);
process.stdout.write('done\n');

process.once('SIGTERM', () => {
  // startGateway leaves a store it was given open.
  void gateway
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});

/** Waits, collects, then prints the process's memory in MB (10^6 bytes) as one `stage {json}` line. */
async function printStage(name: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  // What an unforced reading (proxy-overhead's idle RSS, read from /proc) would see at this moment.
  const rssBeforeGcMb = process.memoryUsage.rss() / 1e6;
  collect();
  const usage = process.memoryUsage();
  const threads = readThreadNames();
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  const stage = {
    name,
    rssMb: usage.rss / 1e6,
    heapUsedMb: usage.heapUsed / 1e6,
    heapTotalMb: usage.heapTotal / 1e6,
    externalMb: usage.external / 1e6,
    rssBeforeGcMb,
    // The main thread's V8 heap pages in memory, and those of its young generation (empty right after a full GC).
    heapResidentMb: getHeapStatistics().total_physical_size / 1e6,
    youngGenerationResidentMb: (newSpace?.physical_space_size ?? 0) / 1e6,
    ...readResidentByMapping(),
    threads: threads.length,
    writerRunning: threads.includes(WRITER_THREAD_NAME),
    stripperLoaded: readStripperLoaded(),
  };
  process.stdout.write(`stage ${JSON.stringify(stage)}\n`);
}

/**
 * The RSS split by what backs it (proc(5), /proc/pid/smaps): pages of the node executable (file-backed, shared with
 * every other Node process on the machine), the malloc arena (`[heap]`), other anonymous memory (the V8 heaps of every
 * thread, thread stacks, mmap'd allocations) and other files (shared libraries, the compile cache).
 */
function readResidentByMapping(): Record<'executableMb' | 'mallocMb' | 'anonymousMb' | 'otherFilesMb', number | null> {
  const kb = { executable: 0, malloc: 0, anonymous: 0, otherFiles: 0 };
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    // Not Linux: no split to read.
    return { executableMb: null, mallocMb: null, anonymousMb: null, otherFilesMb: null };
  }
  const executable = realpathSync(process.execPath);
  let kind: keyof typeof kb = 'anonymous';
  for (const line of text.split('\n')) {
    // A mapping's header: address range, permissions, offset, device, inode, then its path when it has one.
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header !== null) {
      const path = header[1] ?? '';
      kind = path === executable ? 'executable' : path === '[heap]' ? 'malloc' : path.startsWith('/') ? 'otherFiles' : 'anonymous';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null) kb[kind] += Number(rss[1]);
  }
  const mb = (value: number) => (value * 1024) / 1e6;
  return { executableMb: mb(kb.executable), mallocMb: mb(kb.malloc), anonymousMb: mb(kb.anonymous), otherFilesMb: mb(kb.otherFiles) };
}

/** Whether Node loaded its TypeScript stripper; null where `process.moduleLoadList` (undocumented, untyped) is missing. */
function readStripperLoaded(): boolean | null {
  const loaded = (process as NodeJS.Process & { moduleLoadList?: readonly string[] }).moduleLoadList;
  return loaded === undefined ? null : loaded.includes(STRIPPER_MODULE);
}

function readThreadNames(): string[] {
  try {
    return readdirSync('/proc/self/task').map((task) => readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim());
  } catch {
    // Not Linux: no thread names to read.
    return [];
  }
}

/** Modules the main thread loads from now on, by where they come from, and the source bytes of each package. */
interface ModuleCount {
  builtin: number;
  src: number;
  bench: number;
  nodeModules: number;
  other: number;
  /** node_modules packages by source bytes loaded, largest first. */
  packages: Array<{ name: string; modules: number; kb: number }>;
}

/** Counts from now on (ES modules and require() alike: registerHooks sees both); the function reads the counts so far. */
function countLoadedModules(): () => ModuleCount {
  const count = { builtin: 0, src: 0, bench: 0, nodeModules: 0, other: 0 };
  const packages = new Map<string, { name: string; modules: number; kb: number }>();
  module.registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context);
      if (url.startsWith('node:') || result.format === 'builtin') count.builtin += 1;
      else if (url.includes('/node_modules/')) {
        count.nodeModules += 1;
        const name = packageName(url);
        const entry = packages.get(name) ?? { name, modules: 0, kb: 0 };
        entry.modules += 1;
        entry.kb += sourceBytes(result.source) / 1e3;
        packages.set(name, entry);
      } else if (url.includes('/src/')) count.src += 1;
      else if (url.includes('/bench/')) count.bench += 1;
      else count.other += 1;
      return result;
    },
  });
  return () => ({
    ...count,
    packages: [...packages.values()].sort((a, b) => b.kb - a.kb).map((entry) => ({ ...entry, kb: Math.round(entry.kb) })),
  });
}

/** `kysely` from `file:///…/node_modules/kysely/dist/esm/index.js`, `@scope/name` for a scoped package. */
function packageName(url: string): string {
  const parts = url.slice(url.lastIndexOf('/node_modules/') + '/node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') === true ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
}

function sourceBytes(source: unknown): number {
  if (typeof source === 'string') return Buffer.byteLength(source);
  if (source instanceof ArrayBuffer) return source.byteLength;
  if (ArrayBuffer.isView(source)) return source.byteLength;
  return 0;
}
