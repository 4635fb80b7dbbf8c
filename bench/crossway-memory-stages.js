// Crossway's idle memory, stage by stage: the same start as `crossway serve` (bin/crossway.js's choice of the build in
// dist/ or the sources, the same catalog loading and startGateway, the collection once started), with the process's
// memory printed after each step (Node alone, the module graph, the SQLite store, its writer thread, the listening
// gateway, and the gateway once started: the start's garbage collected) as `stage {json}` lines,
// then `done`; it stays up until SIGTERM. Each reading follows a short settle and a forced full collection, so that it
// shows what each stage keeps, not garbage the next one would free.
// `node --expose-gc bench/crossway-memory-stages.js --config crossway.yaml [--sources] [--no-collect] [--count-modules]`
// --sources: the TypeScript sources with the compile cache, as bin/crossway.js runs them when there is no fresh build
// (NODE_DISABLE_COMPILE_CACHE=1 turns the cache off, as there). --no-collect: without bin/start-memory.js.
// `--count-modules` counts the main thread's modules with a load hook and prints `modules {json}` before `done`; hooks
// cost memory of their own, so the scenario counts in its discarded priming run and measures in a run without them.
// JavaScript, not TypeScript, for the reason bin/crossway.js is: a TypeScript entry would load Node's TypeScript
// stripper, or need the compile cache for itself and so give it to the compiled modules too, which production runs
// without it.
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import module from 'node:module';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { buildDist, isDistFresh } from '../bin/build-dist.js';
import { collectStartupGarbage } from '../bin/start-memory.js';

/** Node's TypeScript stripper, as named in `process.moduleLoadList` once it has been loaded. */
const STRIPPER_MODULE = 'NativeModule internal/deps/amaro/dist/index';
/** SqliteWriteThread names its worker `crossway-sqlite-writer`; Linux keeps the first 15 bytes of a thread's name. */
const WRITER_THREAD_NAME = 'crossway-sqlite';
const SETTLE_MS = 200;

const configIndex = process.argv.indexOf('--config');
const configPath = configIndex === -1 ? undefined : process.argv[configIndex + 1];
if (configPath === undefined) throw new Error('usage: node --expose-gc bench/crossway-memory-stages.js --config <file> [--sources] [--no-collect] [--count-modules]');
const collect = globalThis.gc;
if (typeof collect !== 'function') throw new Error('run with --expose-gc');

// As bin/crossway.js does, before anything of Crossway is loaded. Hence the dynamic imports below.
const compiled = !process.argv.includes('--sources') && (isDistFresh() || buildDist() === 'built');
if (!compiled) module.enableCompileCache?.();
const readModuleCount = process.argv.includes('--count-modules') ? countLoadedModules() : undefined;
const from = compiled ? '../dist' : '../src';
const extension = compiled ? 'js' : 'ts';

await printStage('node');

const { loadCatalogFile } = await import(`${from}/catalog/index.${extension}`);
const { startGateway } = await import(`${from}/server/index.${extension}`);
// Already part of the server's graph: this import loads nothing more.
const { openSqliteStore } = await import(`${from}/store/index.${extension}`);
// Written now rather than at exit, so that the next run finds the cache filled even when this one is stopped hard.
if (!compiled) module.flushCompileCache?.();
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

// What runCli's onStarted does in `crossway serve` once it listens.
if (!process.argv.includes('--no-collect')) collectStartupGarbage();
await printStage('started');

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
async function printStage(name) {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  // What an unforced reading (proxy-overhead's idle RSS, read from /proc) would see at this moment.
  const rssBeforeGcMb = process.memoryUsage.rss() / 1e6;
  collect();
  const usage = process.memoryUsage();
  const threads = readThreadNames();
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  const stage = {
    name,
    compiled,
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
 * @returns {Record<'executableMb' | 'mallocMb' | 'anonymousMb' | 'otherFilesMb', number | null>}
 */
function readResidentByMapping() {
  const kb = { executable: 0, malloc: 0, anonymous: 0, otherFiles: 0 };
  let text;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    // Not Linux: no split to read.
    return { executableMb: null, mallocMb: null, anonymousMb: null, otherFilesMb: null };
  }
  const executable = realpathSync(process.execPath);
  let kind = 'anonymous';
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
  const mb = (value) => (value * 1024) / 1e6;
  return { executableMb: mb(kb.executable), mallocMb: mb(kb.malloc), anonymousMb: mb(kb.anonymous), otherFilesMb: mb(kb.otherFiles) };
}

/** Whether Node loaded its TypeScript stripper; null where `process.moduleLoadList` (undocumented) is missing. */
function readStripperLoaded() {
  const loaded = process.moduleLoadList;
  return loaded === undefined ? null : loaded.includes(STRIPPER_MODULE);
}

function readThreadNames() {
  try {
    return readdirSync('/proc/self/task').map((task) => readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim());
  } catch {
    // Not Linux: no thread names to read.
    return [];
  }
}

/**
 * Counts the modules the main thread loads from now on (ES modules and require() alike: registerHooks sees both), by
 * where they come from, and the source bytes of each node_modules package; the function it returns reads the counts.
 */
function countLoadedModules() {
  const count = { builtin: 0, src: 0, bench: 0, nodeModules: 0, other: 0 };
  const packages = new Map();
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
      } else if (url.includes('/src/') || url.includes('/dist/')) count.src += 1;
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
function packageName(url) {
  const parts = url.slice(url.lastIndexOf('/node_modules/') + '/node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') === true ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
}

function sourceBytes(source) {
  if (typeof source === 'string') return Buffer.byteLength(source);
  if (source instanceof ArrayBuffer) return source.byteLength;
  if (ArrayBuffer.isView(source)) return source.byteLength;
  return 0;
}
