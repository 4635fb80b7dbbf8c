// Starts the real gateway (`crossway serve`) in a child process, as an operator would, for tests that kill it.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './run-crossway.ts';

/** What else a test wants of the process: more arguments (`--workers 2`), more environment (a log level, say). */
export interface SpawnGatewayOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** A started gateway process; `output()` is everything it wrote so far (stdout and stderr). */
export interface SpawnedGateway {
  child: ChildProcess;
  url: string;
  output(): string;
}

/** Starts `crossway serve` and resolves with the process and its URL once it listens. */
export function spawnGateway(config: string, options: SpawnGatewayOptions = {}): Promise<SpawnedGateway> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config, ...(options.args ?? [])], {
    env: { ...process.env, CROSSWAY_LOG_LEVEL: 'error', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += String(chunk)));
  child.stderr!.on('data', (chunk: Buffer) => (output += String(chunk)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${output}`)), 20_000);
    const onData = (): void => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      resolve({ child, url: match[1]!, output: () => output });
    };
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before listening: ${output}`));
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}
