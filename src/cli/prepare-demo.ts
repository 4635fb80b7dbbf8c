// Prepares demo mode: a master key kept under the data dir, the local cloud emulators, a service-account key file
// whose token_uri is the Vertex emulator's OAuth endpoint (so google-auth-library's real token path runs), and the
// environment the demo catalog (examples/crossway.demo.yaml) reads; and the demo's MCP server, registered in the
// demo's configuration for the tenant `default` under the label `demo-tools` (when the MCP server SDK is installed).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCatalog, type Catalog, readRawConfig } from '../catalog/index.ts';
import { createEmulatorServiceAccount, startEmulators, type RunningEmulators, type VertexEmulator } from '../emulators/index.ts';
import { DEMO_MCP_SERVER_LABEL, type DemoMcpServer, startDemoMcpServer } from './start-demo-mcp-server.ts';

/** The demo catalog shipped with the package. */
export const DEMO_CATALOG_PATH = fileURLToPath(new URL('../../examples/crossway.demo.yaml', import.meta.url));

export interface DemoOptions {
  dataDir: string;
  /** First emulator port; 0 picks free ports. */
  basePort: number;
  masterKey?: string;
}

export interface DemoEnvironment {
  emulators: RunningEmulators;
  masterKey: string;
  /** Absolute path of the demo's data directory (SQLite file, master key, emulator key file). */
  dataDir: string;
  /** Variables for loading the demo catalog. */
  env: Record<string, string | undefined>;
  /** The demo's MCP server; null when the MCP server SDK is not installed (`npm install --omit=dev`). */
  mcp: DemoMcpServer | null;
  close(): Promise<void>;
}

/** Starts the emulators and writes what the demo catalog needs. */
export async function prepareDemo(options: DemoOptions): Promise<DemoEnvironment> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const masterKey = options.masterKey || readOrCreateMasterKey(dataDir);
  const emulators = await startEmulators({ host: '127.0.0.1', basePort: options.basePort });
  // The MCP server on basePort + 9 (4019 by default), past the emulators' ports, so that examples can name its URL.
  const mcp = await startDemoMcpServer(options.basePort === 0 ? 0 : options.basePort + 9).catch(async (error: unknown) => {
    await emulators.close();
    throw error;
  });
  const env: Record<string, string | undefined> = { ...process.env, CROSSWAY_MASTER_KEY: masterKey, CROSSWAY_DATA_DIR: dataDir };
  for (const [name, emulator] of Object.entries(emulators.emulators)) {
    env[`CROSSWAY_EMULATOR_${name.toUpperCase()}_URL`] = emulator.url;
  }
  const vertex = emulators.emulators.vertex as VertexEmulator | undefined;
  if (vertex !== undefined) {
    // A fresh key per start: the emulator only knows keys registered while it runs.
    const account = createEmulatorServiceAccount(`${vertex.url}/token`);
    vertex.registerServiceAccount({ clientEmail: account.credentials.client_email, publicKeyPem: account.publicKeyPem });
    const path = join(dataDir, 'vertex-emulator-service-account.json');
    writeFileSync(path, JSON.stringify(account.credentials, null, 2), { mode: 0o600 });
    env.CROSSWAY_DEMO_GOOGLE_CREDENTIALS = path;
  }
  return {
    emulators,
    masterKey,
    dataDir,
    env,
    mcp,
    close: async () => {
      await Promise.all([emulators.close(), mcp?.close()]);
    },
  };
}

/**
 * The demo catalog (examples/crossway.demo.yaml) for `demo`, with the demo's MCP server registered under `mcp.servers`
 * for the tenant `default` (the operator's configuration: it may be on 127.0.0.1) when it runs.
 */
export function loadDemoCatalog(demo: Pick<DemoEnvironment, 'env' | 'mcp'>): Catalog {
  const raw = readRawConfig(DEMO_CATALOG_PATH);
  if (demo.mcp !== null) {
    const mcp = (raw.mcp ?? {}) as { servers?: unknown[] };
    const server = {
      tenant: 'default',
      server_label: DEMO_MCP_SERVER_LABEL,
      url: demo.mcp.url,
      description: "The demo's MCP server: add_numbers, lookup_order, get_time.",
      require_approval: 'never',
    };
    raw.mcp = { ...mcp, servers: [...(mcp.servers ?? []), server] };
  }
  return buildCatalog(raw, DEMO_CATALOG_PATH, { env: demo.env });
}

function readOrCreateMasterKey(dataDir: string): string {
  const path = join(dataDir, 'master-key');
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing !== '') return existing;
  } catch {
    // First start: create it below.
  }
  const key = `sk-cw-master-${randomBytes(24).toString('base64url')}`;
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return key;
}
