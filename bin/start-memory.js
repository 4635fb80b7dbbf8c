// What a long-running `crossway` process (serve, demo, emulate) does about its resident memory while it starts:
// V8's optimizing compilers wait until it has started, and then one memory-reducing collection drops what the start
// left behind. Measured on `crossway serve` (BENCHMARKS.md, memory-breakdown), each cut about 7 MB of idle RSS.
import v8 from 'node:v8';
import vm from 'node:vm';

/** The V8 flags held off while the process starts; V8's defaults turn each of them on. */
const HELD_COMPILERS = ['sparkplug', 'maglev', 'turbofan'];

/**
 * Holds V8's compilers beyond the interpreter until the process has started, and returns the function to call once it
 * has: it turns them back on and collects the start's garbage.
 *
 * Why hold them: loading the module graph runs each module's top-level code once, and much of it (zod's schema
 * builders, Kysely's, the YAML parser) long enough for V8 to optimize it in the background. Those optimizations are
 * of no use once the start is over, but they page in the compilers' code from the node executable and keep their
 * zones in the helper threads' malloc arenas: ~7 MB of an idle gateway's RSS. Code that is hot when the gateway
 * serves is optimized then, as before.
 *
 * Why collect: the start allocates ~100 MB, most of it kept only while loading, and V8 grows the young generation to
 * its 16 MB maximum under that survival rate. Nothing in an idle process triggers the full, memory-reducing
 * collection that would give this back (V8's memory reducer waits for a mark-compact that never comes), so one is run
 * here, once, through the `gc` function `--expose-gc` gives a new context (the flag is set and cleared around it, so
 * that nothing else sees the function). `last-resort` is V8's memory-reducing kind: it also shrinks the young
 * generation and releases freed pages. It takes tens of milliseconds, once, before the first request is served.
 *
 * The compilers are left alone when the command line or NODE_OPTIONS sets any of them, or --jitless.
 */
export function holdStartupMemory() {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const hold = !flags.some((flag) => /^--(no-)?(sparkplug|maglev|turbofan|opt|jitless|lite-mode)\b/.test(flag));
  if (hold) for (const flag of HELD_COMPILERS) v8.setFlagsFromString(`--no-${flag}`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (hold) for (const flag of HELD_COMPILERS) v8.setFlagsFromString(`--${flag}`);
    collectStartupGarbage();
  };
}

function collectStartupGarbage() {
  // With --expose-gc (the bench's memory probe) the function is already there, and the flag stays as it was given.
  let gc = globalThis.gc;
  if (typeof gc !== 'function') {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc');
    v8.setFlagsFromString('--no-expose-gc');
  }
  if (typeof gc === 'function') gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
