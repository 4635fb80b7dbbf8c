#!/usr/bin/env node
// The `crossway` command. Node 24 runs the TypeScript sources directly (type stripping).
import { setFlagsFromString } from 'node:v8';

// A gateway allocates many short-lived objects per request; V8's default young generation grows to 32 MB semi-spaces
// under load, which doubles the resident set without a measurable gain in throughput (see BENCHMARKS.md). Set before
// the gateway's modules load; a flag given on the command line or in NODE_OPTIONS wins.
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
if (!given.some((flag) => flag.startsWith('--max-semi-space-size'))) setFlagsFromString('--max-semi-space-size=8');

// run-cli.ts directly: the cli index also exports the demo helpers, which load the emulators.
const { runCli } = await import('../src/cli/run-cli.ts');
process.exitCode = await runCli(process.argv.slice(2));
