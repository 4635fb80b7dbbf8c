// The bench's child processes (upstream, proxies, gateways): started here, their output kept, and every one of them
// stopped by its PID at the end of the run, on error and on Ctrl-C alike.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Bytes of output kept per process (its tail), for readiness lines and error reports. */
const OUTPUT_TAIL_BYTES = 64 * 1024;

export interface StartProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolve `start` once a line of the output matches; its match is returned. */
  readyLine?: RegExp;
  readyTimeoutMs?: number;
  /** Sees every piece of output as it arrives (the tail kept by `output()` is bounded). */
  onOutput?: (text: string) => void;
}

/** A running child process. */
export interface ManagedProcess {
  name: string;
  pid: number;
  /** The match of `readyLine`, when one was asked for. */
  ready: RegExpMatchArray | null;
  /** The tail of what the process wrote to stdout and stderr. */
  output(): string;
  exited(): boolean;
}

interface Entry {
  process: ManagedProcess;
  child: ChildProcess;
  exit: Promise<void>;
}

/** Starts child processes and guarantees that each one is ended by its PID. */
export class ChildProcessSet {
  readonly #entries = new Map<number, Entry>();

  /** Spawns `command args`, keeps its output and waits for its ready line (bounded by `readyTimeoutMs`). */
  async start(name: string, command: string, args: string[], options: StartProcessOptions = {}): Promise<ManagedProcess> {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) {
      const [error] = (await once(child, 'error')) as [Error];
      throw new Error(`${name}: could not start ${command}: ${error.message}`);
    }
    const pid = child.pid;
    let tail = '';
    let exitedFlag = false;
    const lineWaiters: Array<() => void> = [];
    const append = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      options.onOutput?.(text);
      tail += text;
      if (tail.length > OUTPUT_TAIL_BYTES) tail = tail.slice(-OUTPUT_TAIL_BYTES);
      for (const wake of lineWaiters.splice(0)) wake();
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const exit = new Promise<void>((resolve) => {
      child.once('exit', () => {
        exitedFlag = true;
        for (const wake of lineWaiters.splice(0)) wake();
        resolve();
      });
    });
    const managed: ManagedProcess = { name, pid, ready: null, output: () => tail, exited: () => exitedFlag };
    this.#entries.set(pid, { process: managed, child, exit });
    if (options.readyLine === undefined) return managed;

    const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
    for (;;) {
      const match = options.readyLine.exec(tail);
      if (match !== null) {
        managed.ready = match;
        return managed;
      }
      const left = deadline - Date.now();
      if (exitedFlag || left <= 0) {
        await this.stop(managed);
        const why = exitedFlag ? 'exited before it was ready' : 'was not ready in time';
        throw new Error(`${name} (pid ${pid}) ${why}; its output:\n${tail.slice(-4_000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        lineWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** SIGTERM to the process's PID, SIGKILL after `graceMs` if it is still there. */
  async stop(managed: ManagedProcess, graceMs = 3_000): Promise<void> {
    const entry = this.#entries.get(managed.pid);
    if (entry === undefined) return;
    if (!managed.exited()) {
      signal(managed.pid, 'SIGTERM');
      const timer = setTimeout(() => signal(managed.pid, 'SIGKILL'), graceMs);
      await entry.exit;
      clearTimeout(timer);
    }
    this.#entries.delete(managed.pid);
  }

  /** Stops every process still running. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((entry) => this.stop(entry.process)));
  }

  /** Last resort on process exit (no waiting possible): SIGKILL every PID still known. */
  killAllNow(): void {
    for (const [pid, entry] of this.#entries) if (!entry.process.exited()) signal(pid, 'SIGKILL');
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
