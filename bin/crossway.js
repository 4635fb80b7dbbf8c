#!/usr/bin/env node
// The `crossway` command. Node 24 runs the TypeScript sources directly (type stripping).
// run-cli.ts directly: the cli index also exports the demo helpers, which load the emulators.
import { runCli } from '../src/cli/run-cli.ts';

process.exitCode = await runCli(process.argv.slice(2));
