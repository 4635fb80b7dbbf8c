// Runs the `crossway` command: the real binary in a child process, as an operator would, or its runCli in this process
// with the output captured (no process start: for tests that only read what a command prints).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/run-cli.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'crossway.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `crossway <args>` on this Node; resolves with its exit code and output (never rejects). */
export function runCrossway(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const env = options.env ?? { ...process.env };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `crossway <args>` run in this process by the CLI's runCli, with stdout and stderr captured; resolves as runCrossway
 * does (an error the binary would die of is exit code 1 with its stack on stderr). The working directory and the
 * environment are this process's: a test that needs its own runs the binary.
 */
export async function runCrosswayInProcess(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const output = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  };
  try {
    return { code: await runCli(args, output), stdout, stderr };
  } catch (error) {
    return { code: 1, stdout, stderr: `${stderr}${error instanceof Error ? error.stack : String(error)}\n` };
  }
}
