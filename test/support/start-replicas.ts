// Several `crossway serve` processes as one gateway: each its own port, all on one PostgreSQL schema and one Redis
// prefix, with the cloud emulators in this process. For the scale-out tests; they stop by themselves.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmulators, type RunningEmulators } from '../../src/emulators/index.ts';
import { createTestRedisPrefix, createTestSchema, testRedisUrl, type TestSchema } from '../../src/store/test-backends.ts';
import { spawnGateway } from './spawn-gateway.ts';

export const REPLICA_MASTER_KEY = 'sk-cw-replicas-master-0001';

/** One gateway process of the set. */
export interface Replica {
  child: ChildProcess;
  url: string;
}

export interface ReplicaSet {
  replicas: Replica[];
  emulators: RunningEmulators;
  schema: TestSchema;
  /** The configuration file every replica runs. */
  config: string;
  /** A query on the replicas' schema (the ledger's truth). */
  query<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  /** An admin call on one replica with the master key. */
  admin(replica: Replica, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Starts one more replica on the same configuration (after a kill, say). */
  spawn(): Promise<Replica>;
  close(): Promise<void>;
}

export interface ReplicaOptions {
  count: number;
  /** Redis URL the replicas use (default: CROSSWAY_TEST_REDIS_URL); a private server for tests that stop it. */
  redisUrl?: string;
  /** PostgreSQL URL override (a proxy in front of the test server, for tests that cut it); must use `schema`. */
  databaseUrl?: (schema: TestSchema) => string;
  /** Extra top-level configuration merged into the file (execute, runtime, ...). */
  config?: Record<string, unknown>;
}

/**
 * Starts the emulators and `count` replicas. Two routes for `gpt-5.5`: Azure first in catalog order (so that it is
 * tried first), OpenAI second; priced so that a budget of a few cents is exhausted by a handful of calls.
 */
export async function startReplicas(options: ReplicaOptions): Promise<ReplicaSet> {
  const emulators = await startEmulators({ basePort: 0, openai: { apiKeys: ['sk-emulator-openai'] }, azure: { apiKeys: ['emulator-azure-key'] } });
  const schema = await createTestSchema('replicas');
  const dataDir = mkdtempSync(join(tmpdir(), 'crossway-replicas-'));
  const config = join(dataDir, 'crossway.yaml');
  const route = (id: string, provider: string, endpoint: string, auth: Record<string, unknown>) => ({
    id,
    model: 'gpt-5.5',
    provider,
    endpoint,
    auth,
    capabilities: ['streaming', 'tools'],
    price: { input: 1, output: 1000, currency: 'USD' },
  });
  writeFileSync(
    config,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0, master_key: REPLICA_MASTER_KEY },
      store: { postgres: options.databaseUrl?.(schema) ?? schema.url, pool_size: 4 },
      redis: { url: options.redisUrl ?? testRedisUrl, key_prefix: createTestRedisPrefix('replicas') },
      models: [{ id: 'gpt-5.5', owned_by: 'openai' }],
      routes: [
        route('azure-gpt-5.5', 'azure', emulators.emulators.azure!.url, { type: 'api-key', key: 'emulator-azure-key' }),
        route('openai-gpt-5.5', 'openai', `${emulators.emulators.openai!.url}/v1`, { type: 'bearer', key: 'sk-emulator-openai' }),
      ],
      ...options.config,
    }),
  );
  const replicas: Replica[] = [];
  const children: ChildProcess[] = [];
  const spawn = async (): Promise<Replica> => {
    const started = await spawnGateway(config);
    children.push(started.child);
    return started;
  };
  const pool = new pg.Pool({ connectionString: schema.url, max: 2 });
  try {
    // Together, as replicas of a deployment start: the migrations must be safe under that.
    replicas.push(...(await Promise.all(Array.from({ length: options.count }, spawn))));
  } catch (error) {
    for (const child of children) child.kill('SIGKILL');
    await pool.end();
    await emulators.close();
    await schema.drop();
    throw error;
  }
  return {
    replicas,
    emulators,
    schema,
    config,
    spawn,
    async query(text, values) {
      return (await pool.query(text, values)).rows;
    },
    async admin(replica, method, path, body) {
      const response = await fetch(`${replica.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${REPLICA_MASTER_KEY}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? null : JSON.parse(text) };
    },
    async close() {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        }),
      );
      await pool.end();
      await emulators.close();
      await schema.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `check` holds, polling every 25 ms; rejects after `timeoutMs` with `what`. */
export async function eventually(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
