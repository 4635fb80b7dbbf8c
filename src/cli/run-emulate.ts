// `crossway emulate`: the local cloud emulators on their own, e.g. to point a gateway or an SDK at them.
import { EMULATED_CLOUDS, startEmulators, type EmulatedCloud } from '../emulators/index.ts';
import { parsePort } from './parse-port.ts';
import { UsageError } from './usage-error.ts';
import { waitForShutdown } from './wait-for-shutdown.ts';

/** Runs until SIGINT/SIGTERM; calls `onStarted` once it listens. */
export async function runEmulate(args: { 'base-port'?: string; only?: string; host?: string }, onStarted: () => void = () => {}): Promise<number> {
  const only = args.only === undefined ? undefined : args.only.split(',').map((name) => name.trim());
  for (const name of only ?? []) {
    if (!EMULATED_CLOUDS.includes(name as EmulatedCloud)) {
      throw new UsageError(`--only: unknown cloud '${name}' (known: ${EMULATED_CLOUDS.join(', ')}).`);
    }
  }
  const running = await startEmulators({
    host: args.host ?? '127.0.0.1',
    basePort: parsePort(args['base-port'], '--base-port') ?? 4010,
    only: only as EmulatedCloud[] | undefined,
  });
  for (const [name, emulator] of Object.entries(running.emulators)) {
    process.stdout.write(`${name.padEnd(8)} emulator on ${emulator.url}\n`);
  }
  process.stdout.write("These are local emulators of the clouds' APIs, not the clouds. Faults: POST <url>/__emulator/faults\n");
  onStarted();
  await waitForShutdown();
  await running.close();
  return 0;
}
