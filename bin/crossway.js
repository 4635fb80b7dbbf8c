#!/usr/bin/env node
// The `crossway` command. Node 24 runs the TypeScript sources directly (type stripping).
import { runCli } from '../src/cli/index.ts';

process.exitCode = await runCli(process.argv.slice(2));
