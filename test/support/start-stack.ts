// End-to-end test stack: the cloud emulators on free ports, a gateway on port 0 with a temporary SQLite file,
// and an official `openai` client pointed at the gateway.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { pino } from 'pino';
import { buildCatalog, type Catalog } from '../../src/catalog/index.ts';
import { startEmulators } from '../../src/emulators/index.ts';
import { startGateway, type RunningGateway } from '../../src/server/index.ts';

export const OPENAI_KEY = 'sk-emulator-openai';
export const AZURE_KEY = 'emulator-azure-key';

export interface EmulatorUrls {
  openai: string;
  azure: string;
}

export interface StackOptions {
  masterKey?: string;
  /** Route credentials; the emulators are told to accept exactly these. */
  openaiKey?: string;
  azureKey?: string;
  /** Keys the emulators accept, when they should differ from the routes' (a misconfigured route). */
  emulatorKeys?: { openai: string; azure: string };
  /** Replaces the default routes. */
  routes?: (urls: EmulatorUrls) => Record<string, unknown>[];
  models?: Record<string, unknown>[];
  execute?: Record<string, unknown>;
  server?: Record<string, unknown>;
  agreements?: Record<string, unknown>[];
  policy?: Record<string, unknown>;
  /** The catalog's `runtime` section (storage quotas, retention, the chain cache). */
  runtime?: Record<string, unknown>;
  /** The catalog's `request_log` section (retention). */
  requestLog?: Record<string, unknown>;
  /** The catalog's `mcp` section (timeouts of MCP servers). */
  mcp?: Record<string, unknown>;
  /** The catalog's `metrics` section (GET /metrics access, its own listener). */
  metrics?: Record<string, unknown>;
  /** The catalog's `telemetry` section (OpenTelemetry export). */
  telemetry?: Record<string, unknown>;
  /** The catalog's `ui`, `auth` and `audit` sections (dashboard sessions, OIDC sign-in, audit retention). */
  ui?: Record<string, unknown>;
  auth?: Record<string, unknown>;
  audit?: Record<string, unknown>;
  /** Keep the SQLite file's directory after close (the test reads it afterwards and removes it). */
  dataDir?: string;
  /** A PostgreSQL URL: the gateway's store there instead of the SQLite file (a test schema, see createTestSchema). */
  postgres?: string;
  /** The gateway's clock (routing decisions, key expiry); the real one by default. */
  now?: () => Date;
}

export interface Stack {
  url: string;
  masterKey: string;
  emulators: EmulatorUrls;
  gateway: RunningGateway;
  catalog: Catalog;
  client: OpenAI;
  /** The SQLite file of the gateway's store. */
  databasePath: string;
  /** Calls the gateway's HTTP API with a key (the master key by default) and returns status, headers and JSON body. */
  api(method: string, path: string, body?: unknown, key?: string): Promise<ApiResponse>;
  /** An official openai client authenticating with `key`. */
  clientFor(key: string): OpenAI;
  /** Everything the gateway logged, as text. */
  logs(): string;
  /** Sets faults on an emulator through its control API. */
  fault(cloud: keyof EmulatorUrls, faults: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  /** The emulator's request journal. */
  journal(cloud: keyof EmulatorUrls): Promise<JournalEntry[]>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  // Loosely typed on purpose: tests read fields of whatever the API answered.
  body: any;
}

export interface JournalEntry {
  id: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | null;
  status: number;
  stream: boolean;
  chunks_sent: number;
  outcome: string;
}

const CHAT_ROUTE = {
  capabilities: ['tools', 'vision', 'json_schema', 'streaming'],
  price: { input: 5, cached_input: 0.5, output: 30, currency: 'USD' },
};

/** The default routes: gpt-5.5 over Azure v1, Azure deployments and OpenAI, plus single-route models for each. */
export function defaultRoutes(urls: EmulatorUrls, keys: { openai: string; azure: string }): Record<string, unknown>[] {
  const azureV1 = { provider: 'azure', endpoint: urls.azure, deployment: 'gpt-5.5', api: 'v1', auth: { type: 'api-key', key: keys.azure }, ...CHAT_ROUTE };
  const azureDeployments = { ...azureV1, api: 'deployments', api_version: '2024-10-21' };
  const openai = { provider: 'openai', endpoint: `${urls.openai}/v1`, deployment: 'gpt-5.5', auth: { type: 'bearer', key: keys.openai }, ...CHAT_ROUTE };
  return [
    { id: 'azure-eastus2-gpt-5.5', model: 'gpt-5.5', region: 'eastus2', ...azureV1 },
    { id: 'azure-swedencentral-gpt-5.5', model: 'gpt-5.5', region: 'swedencentral', ...azureDeployments },
    { id: 'openai-global-gpt-5.5', model: 'gpt-5.5', ...openai },
    { id: 'azure-v1-only', model: 'via-azure-v1', ...azureV1 },
    { id: 'azure-deployments-only', model: 'via-azure-deployments', ...azureDeployments },
    { id: 'openai-only', model: 'via-openai', ...openai },
    {
      id: 'azure-embeddings',
      model: 'text-embedding-3-small',
      provider: 'azure',
      endpoint: urls.azure,
      deployment: 'text-embedding-3-small',
      auth: { type: 'api-key', key: keys.azure },
    },
    { id: 'openai-embeddings', model: 'text-embedding-3-small', provider: 'openai', endpoint: `${urls.openai}/v1`, auth: { type: 'bearer', key: keys.openai } },
  ];
}

export const DEFAULT_MODELS = [
  { id: 'gpt-5.5', owned_by: 'openai', released: '2026-04-23', aliases: ['gpt-latest'] },
  { id: 'via-azure-v1' },
  { id: 'via-azure-deployments' },
  { id: 'via-openai' },
  { id: 'text-embedding-3-small', kind: 'embedding', owned_by: 'openai' },
];

/** The single-route models, one per upstream wire form, for tests that run against each. */
export const SINGLE_ROUTE_MODELS = ['via-azure-v1', 'via-azure-deployments', 'via-openai'] as const;

/** Starts emulators and a gateway; call close() in an after hook. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const masterKey = options.masterKey ?? 'sk-cw-test-master-key-0001';
  const keys = { openai: options.openaiKey ?? OPENAI_KEY, azure: options.azureKey ?? AZURE_KEY };
  const emulators = await startEmulators({
    basePort: 0,
    openai: { apiKeys: [options.emulatorKeys?.openai ?? keys.openai] },
    azure: { apiKeys: [options.emulatorKeys?.azure ?? keys.azure] },
  });
  const urls: EmulatorUrls = { openai: emulators.emulators.openai!.url, azure: emulators.emulators.azure!.url };
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'crossway-e2e-'));
  const raw = {
    server: { host: '127.0.0.1', port: 0, master_key: masterKey, ...options.server },
    store: { sqlite: join(dataDir, 'crossway.db'), ...(options.postgres === undefined ? {} : { postgres: options.postgres, pool_size: 4 }) },
    execute: { attempt_timeout_ms: 5_000, stream_idle_timeout_ms: 5_000, ...options.execute },
    models: options.models ?? DEFAULT_MODELS,
    routes: options.routes?.(urls) ?? defaultRoutes(urls, keys),
    ...(options.agreements === undefined ? {} : { agreements: options.agreements }),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.runtime === undefined ? {} : { runtime: options.runtime }),
    ...(options.requestLog === undefined ? {} : { request_log: options.requestLog }),
    ...(options.mcp === undefined ? {} : { mcp: options.mcp }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
    ...(options.ui === undefined ? {} : { ui: options.ui }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    ...(options.audit === undefined ? {} : { audit: options.audit }),
  };
  const catalog = buildCatalog(raw, 'test stack', { env: {} });
  let logText = '';
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logText += String(chunk);
      callback();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const gateway = await startGateway({ catalog, logger, ...(options.now !== undefined && { now: options.now }) });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: masterKey, maxRetries: 0, timeout: 20_000 });

  async function control(cloud: keyof EmulatorUrls, method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${urls[cloud]}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`emulator control ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  }

  return {
    url: gateway.url,
    masterKey,
    emulators: urls,
    gateway,
    catalog,
    client,
    databasePath: join(dataDir, 'crossway.db'),
    api: async (method, path, body, key = masterKey) => {
      const response = await fetch(`${gateway.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON (CSV, say): the text itself.
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
    clientFor: (key) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0, timeout: 20_000 }),
    logs: () => logText,
    fault: async (cloud, faults) => {
      await control(cloud, 'POST', '/__emulator/faults', faults);
    },
    clearFaults: async () => {
      await control('openai', 'DELETE', '/__emulator/faults');
      await control('azure', 'DELETE', '/__emulator/faults');
    },
    journal: async (cloud) => ((await control(cloud, 'GET', '/__emulator/requests')) as { data: JournalEntry[] }).data,
    close: async () => {
      await gateway.close();
      await emulators.close();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
