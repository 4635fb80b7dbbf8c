// Crossway as `crossway serve` runs it (same catalog loading, same startGateway), plus a heap probe. Every 50 ms it
// forces a full garbage collection and prints the used heap right after it (what the process retains), the highest used
// heap seen since the last report (sampled every 2 ms) and the RSS, as `memory {json}` lines. Forcing collections slows
// the process a little: this probe measures retention, never speed.
// `node --expose-gc bench/crossway-memory-probe.ts --config crossway.yaml`
import { getHeapStatistics } from 'node:v8';
import { loadCatalogFile } from '../src/catalog/index.ts';
import { startGateway } from '../src/server/index.ts';

const configIndex = process.argv.indexOf('--config');
const configPath = configIndex === -1 ? undefined : process.argv[configIndex + 1];
if (configPath === undefined) throw new Error('usage: node bench/crossway-memory-probe.ts --config <file>');

const catalog = loadCatalogFile(configPath);
const gateway = await startGateway({ catalog });
process.stdout.write(`Crossway listening on ${gateway.url}\n`);

const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error('run with --expose-gc');
let heapMax = 0;
const sampler = setInterval(() => {
  heapMax = Math.max(heapMax, getHeapStatistics().used_heap_size);
}, 2);
const reporter = setInterval(() => {
  heapMax = Math.max(heapMax, getHeapStatistics().used_heap_size);
  collect();
  const sample = { t: Math.round(performance.now()), heapAfterGc: getHeapStatistics().used_heap_size, heapMax, rss: process.memoryUsage.rss() };
  process.stdout.write(`memory ${JSON.stringify(sample)}\n`);
  heapMax = 0;
}, 50);

process.once('SIGTERM', () => {
  clearInterval(sampler);
  clearInterval(reporter);
  void gateway.close().then(() => process.exit(0));
});
