// For the CLI's tests only: a configuration naming a given store, and the CLI run in process with its output collected.
import fs from 'node:fs';
import path from 'node:path';
import type { CliOutput } from './cli-output.ts';
import { runCli } from './run-cli.ts';

let configs = 0;

/** A configuration (JSON is YAML) with the given store section and one placeholder route. */
export function writeStoreConfig(directoryPath: string, store: Record<string, unknown>): string {
  const file = path.join(directoryPath, `crossway-${++configs}-${process.pid}.yaml`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      store,
      models: [{ id: 'gpt-5.5' }],
      routes: [{ id: 'placeholder', model: 'gpt-5.5', provider: 'openai', endpoint: 'http://127.0.0.1:9/v1' }],
    }),
  );
  return file;
}

/** Runs the CLI in process and collects what it wrote. */
export async function runCrossway(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const text = { stdout: '', stderr: '' };
  const output: CliOutput = { stdout: { write: (chunk: string) => (text.stdout += chunk) }, stderr: { write: (chunk: string) => (text.stderr += chunk) } };
  const code = await runCli(argv, output);
  return { code, ...text };
}
