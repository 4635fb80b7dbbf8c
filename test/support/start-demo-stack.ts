// The demo catalog on the local emulators, rearranged so that every route is reachable on its own: each route of
// the demo catalog becomes the only route of a model named `route:<route id>` (route ids stay as they are).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { pino } from 'pino';
import { buildCatalog, readRawConfig, type Catalog, type Route } from '../../src/catalog/index.ts';
import { DEMO_CATALOG_PATH, prepareDemo, type DemoEnvironment } from '../../src/cli/index.ts';
import { startGateway, type RunningGateway } from '../../src/server/index.ts';

export interface DemoStack {
  demo: DemoEnvironment;
  gateway: RunningGateway;
  catalog: Catalog;
  client: OpenAI;
  /** Chat routes of the demo catalog, in catalog order. */
  chatRoutes: Route[];
  close(): Promise<void>;
}

/** What else a test wants of the demo stack. */
export interface DemoStackOptions {
  now?: () => Date;
  execute?: Record<string, unknown>;
  /** More models, each served by copies of the named demo routes (ids `<route id>.<model id>`), in that order. */
  models?: { id: string; routes: string[] }[];
}

/** Starts the emulators and a gateway serving the demo catalog plus one single-route model per route. */
export async function startDemoStack(options: DemoStackOptions = {}): Promise<DemoStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'crossway-demo-stack-'));
  const demo = await prepareDemo({ dataDir, basePort: 0, masterKey: 'sk-cw-demo-stack-master-0001' });
  const raw = readRawConfig(DEMO_CATALOG_PATH) as {
    models: Array<Record<string, unknown>>;
    routes: Array<Record<string, unknown>>;
    server: Record<string, unknown>;
  };
  const original = buildCatalog(raw, DEMO_CATALOG_PATH, { env: demo.env });
  const chatModels = new Set(original.models.filter((model) => model.kind === 'chat').map((model) => model.id));
  for (const route of raw.routes) {
    if (!chatModels.has(String(route.model))) continue;
    raw.models.push({ id: `route:${String(route.id)}` });
    raw.routes.push({ ...route, id: `${String(route.id)}`, model: `route:${String(route.id)}` });
  }
  // Route ids must stay unique: the originals keep their model under a suffixed id.
  raw.routes = raw.routes.map((route, index) =>
    index < original.routes.length && chatModels.has(String(route.model)) ? { ...route, id: `${String(route.id)}.shared` } : route,
  );
  for (const model of options.models ?? []) {
    raw.models.push({ id: model.id });
    for (const id of model.routes) {
      const route = raw.routes.find((candidate) => String(candidate.id) === id);
      if (route === undefined) throw new Error(`no demo route ${id}`);
      raw.routes.push({ ...route, id: `${id}.${model.id}`, model: model.id });
    }
  }
  raw.server = { ...raw.server, port: 0 };
  if (options.execute !== undefined) (raw as Record<string, unknown>).execute = options.execute;
  const catalog = buildCatalog(raw, 'demo stack', { env: demo.env });
  const gateway = await startGateway({ catalog, masterKey: demo.masterKey, logger: pino({ level: 'silent' }), ...(options.now && { now: options.now }) });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: demo.masterKey, maxRetries: 0, timeout: 20_000 });
  return {
    demo,
    gateway,
    catalog,
    client,
    chatRoutes: original.routes.filter((route) => chatModels.has(route.model)),
    async close() {
      await gateway.close();
      await demo.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
