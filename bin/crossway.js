#!/usr/bin/env node
// The `crossway` command: runs the build in dist/ when it is the build of the sources as they are, else builds it
// first (when TypeScript is installed), else runs the TypeScript sources directly (Node 24's type stripping).
// Compiled code spares every start Node's TypeScript stripper (about 18 MB of resident memory per thread when the
// compile cache below misses); a fresh dist/ is checked by its stamp (see build-dist.js), so that an edit to src/ is
// never hidden behind a stale build.
// The sources run with Node's compile cache (in the system temp directory, or NODE_COMPILE_CACHE;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off): it keeps each module's stripped and compiled code, keyed by its
// content, so that a start after the first does not load the stripper either. Compiled code runs without it: there
// it saves no measurable start time and its code cache keeps about 5 MB more resident (every function the priming
// run compiled is deserialized at once, instead of compiled when first called).
// Hence the dynamic imports: static ones would load the code before these decisions.
// run-cli directly: the cli index also exports the demo helpers, which load the emulators.
import module from 'node:module';
import { buildDist, isDistFresh } from './build-dist.js';
import { buildUi, isUiFresh } from './build-ui.js';
import { describeUnsupportedNode } from './check-node-version.js';
import { collectStartupGarbage } from './start-memory.js';

// An older Node would fail later on a missing module or syntax, with a message that says nothing about why.
const unsupported = describeUnsupportedNode(process.versions.node);
if (unsupported !== null) {
  process.stderr.write(unsupported);
  process.exit(1);
}

const compiled = ensureCompiled();
await ensureUiBuilt();
if (!compiled) module.enableCompileCache?.();
const { runCli } = compiled ? await import('../dist/cli/run-cli.js') : await import('../src/cli/run-cli.ts');

// Long-running commands (serve, demo, emulate) report when they have started: then the start's garbage goes.
process.exitCode = await runCli(process.argv.slice(2), undefined, { onStarted: collectStartupGarbage });

/** Whether dist/ is fresh, building it when it is not and TypeScript is there; false means: run the sources. */
function ensureCompiled() {
  if (isDistFresh()) return true;
  try {
    const outcome = buildDist();
    // 'busy': another start is building it now; 'no-typescript': an install without dev dependencies.
    return outcome === 'built';
  } catch (error) {
    // The sources may still run (a build can fail where type stripping does not); say why the build is not used.
    process.stderr.write(`crossway: running the sources, the build failed: ${error.message.split('\n')[0]}\n`);
    return false;
  }
}

/** Rebuilds the dashboard (dist/ui) when ui/ changed since its build and esbuild is there; a failure only says so. */
async function ensureUiBuilt() {
  try {
    if (!isUiFresh()) await buildUi();
  } catch (error) {
    process.stderr.write(`crossway: the dashboard build failed: ${error.message.split('\n')[0]}\n`);
  }
}
