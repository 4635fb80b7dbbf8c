// What a long-running `crossway` process (serve, demo, emulate) does about its resident memory once it has started:
// one memory-reducing collection drops what the start left behind. Measured on `crossway serve` (BENCHMARKS.md,
// memory-breakdown): about 16 MB of idle RSS.
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Runs one full, memory-reducing garbage collection; called once, when the process has started (runCli's onStarted).
 *
 * The start allocates ~100 MB, most of it kept only while loading the module graph, and V8 grows the young generation
 * to its 16 MB maximum under that survival rate. Nothing in an idle process triggers the collection that would give
 * this back (V8's memory reducer waits for a mark-compact that never comes), so one is run here through the `gc`
 * function `--expose-gc` gives a new context (the flag is set and cleared around it, so that nothing else sees the
 * function). `last-resort` is V8's memory-reducing kind: it also shrinks the young generation and releases freed
 * pages. It takes tens of milliseconds, once, before the first request is served; under load V8 grows the young
 * generation again as it would have.
 *
 * Not done: holding V8's optimizing compilers off while the process starts, which cut another ~9 MB (their code
 * pages, and their zones in the helper threads' malloc arenas) but cost 10-20 % more CPU per request in the first
 * seconds of load in interleaved runs here, where the functions the start had optimized were not yet optimized again.
 */
export function collectStartupGarbage() {
  // With --expose-gc (the bench's memory probe) the function is already there, and the flag stays as it was given.
  let gc = globalThis.gc;
  if (typeof gc !== 'function') {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc');
    v8.setFlagsFromString('--no-expose-gc');
  }
  if (typeof gc === 'function') gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
