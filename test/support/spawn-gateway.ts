// Starts the real gateway (`crossway serve`) in a child process, as an operator would, for tests that kill it.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './run-crossway.ts';

/** Starts `crossway serve` and resolves with the process and its URL once it listens. */
export function spawnGateway(config: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config], {
    env: { ...process.env, CROSSWAY_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += String(chunk);
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, url: match[1]! });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += String(chunk)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before listening: ${output}`));
    });
  });
}
