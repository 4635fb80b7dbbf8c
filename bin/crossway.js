#!/usr/bin/env node
// The `crossway` command. Node 24 runs the TypeScript sources directly (type stripping).
// Node's compile cache first (in the system temp directory, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns
// it off): it keeps each module's stripped and compiled code, keyed by its content, so that a start after the first
// neither loads the TypeScript stripper (about 18 MB of resident memory per thread) nor strips and compiles again.
// Hence the dynamic import: a static one would load the sources before the cache is on.
// run-cli.ts directly: the cli index also exports the demo helpers, which load the emulators.
import module from 'node:module';

module.enableCompileCache?.();
const { runCli } = await import('../src/cli/run-cli.ts');

process.exitCode = await runCli(process.argv.slice(2));
