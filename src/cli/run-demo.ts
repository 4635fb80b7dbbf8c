// `crossway demo` (what `npm start` runs): local cloud emulators plus the gateway with the demo catalog,
// a SQLite file under ./.crossway/ and a master key generated once and kept there.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalogFile } from '../catalog/index.ts';
import { startEmulators } from '../emulators/index.ts';
import { startGateway } from '../server/index.ts';
import { parsePort } from './parse-port.ts';
import { waitForShutdown } from './wait-for-shutdown.ts';

const DEMO_CATALOG = fileURLToPath(new URL('../../examples/crossway.demo.yaml', import.meta.url));

/** Runs until SIGINT/SIGTERM. */
export async function runDemo(args: { port?: string; host?: string }): Promise<number> {
  const dataDir = process.env.CROSSWAY_DATA_DIR ?? './.crossway';
  const masterKey = process.env.CROSSWAY_MASTER_KEY || readOrCreateMasterKey(dataDir);
  const emulators = await startEmulators({
    host: '127.0.0.1',
    basePort: parsePort(process.env.CROSSWAY_EMULATOR_BASE_PORT, 'CROSSWAY_EMULATOR_BASE_PORT') ?? 4010,
  });
  try {
    const env: Record<string, string | undefined> = { ...process.env, CROSSWAY_MASTER_KEY: masterKey, CROSSWAY_DATA_DIR: dataDir };
    for (const [name, emulator] of Object.entries(emulators.emulators)) {
      env[`CROSSWAY_EMULATOR_${name.toUpperCase()}_URL`] = emulator.url;
    }
    const catalog = loadCatalogFile(DEMO_CATALOG, { env });
    const gateway = await startGateway({
      catalog,
      masterKey,
      port: parsePort(args.port, '--port'),
      host: args.host,
    });
    process.stdout.write(banner(gateway.url, masterKey, Object.entries(emulators.emulators).map(([name, e]) => `${name} ${e.url}`)));
    await waitForShutdown();
    await gateway.close();
  } finally {
    await emulators.close();
  }
  return 0;
}

function readOrCreateMasterKey(dataDir: string): string {
  const path = join(dataDir, 'master-key');
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing !== '') return existing;
  } catch {
    // First start: create it below.
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = `sk-cw-master-${randomBytes(24).toString('base64url')}`;
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return key;
}

function banner(url: string, key: string, emulators: string[]): string {
  return `
Crossway demo is running: ${url}
  catalog:   examples/crossway.demo.yaml (gpt-5.5 on Azure eastus2 -> Azure swedencentral -> OpenAI; text-embedding-3-small)
  emulators: ${emulators.join(', ')} (local stand-ins for the clouds, no credentials needed)
  master key: ${key}   (kept in .crossway/master-key; set CROSSWAY_MASTER_KEY to choose your own)

Try it:
  curl ${url}/v1/chat/completions \\
    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\
    -d '{"model": "gpt-5.5", "messages": [{"role": "user", "content": "Hello from Crossway"}]}'

Or point any OpenAI client at it: OPENAI_BASE_URL=${url}/v1 OPENAI_API_KEY=${key}
Stop with Ctrl-C.
`;
}
