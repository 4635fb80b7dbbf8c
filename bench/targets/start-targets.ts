// Starts each system under test as its own process on 127.0.0.1: the minimal upstream (the floor), the minimal proxy
// (the Node ceiling), Crossway (`crossway serve` with a one-route catalog; with the master key, or as in production with
// a tenant's virtual key and a priced route), Portkey's gateway and, where installed, nginx; and says how a client calls
// each of them.
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { BenchContext } from '../bench-types.ts';
import type { ManagedProcess } from '../child-processes.ts';
import { request as undiciRequest } from 'undici';
import type { LoadRequest } from '../load/load-request.ts';

/** A running system under test. */
export interface Target {
  /** Stable key: upstream, minimal-proxy, crossway, crossway-vk, portkey, nginx. */
  key: string;
  /** Name in the report. */
  label: string;
  process: ManagedProcess;
  /** The request a client sends to this target, streaming or not. */
  request(stream: boolean): LoadRequest;
  /** Crossway with a virtual key: what its ledger holds for the tenant so far (evidence that every call was priced). */
  tenantUsage?(): Promise<TenantUsage>;
}

/** The `total` of `GET /admin/usage?tenant=`: usage events and their charge (a decimal string). */
export interface TenantUsage {
  requests: number;
  charged: string;
  currency: string;
}

/** The master key of the bench's Crossway (a throwaway value: the gateway only listens on 127.0.0.1). */
export const CROSSWAY_BENCH_MASTER_KEY = 'sk-cw-bench-master-key-0001';
/** The bearer key Crossway and Portkey send upstream; the minimal upstream accepts any. */
const UPSTREAM_KEY = 'sk-bench-upstream';
const MODEL = 'bench-model';
const MESSAGES = [{ role: 'user', content: 'Say hello to the benchmark.' }];

function chatBody(stream: boolean): string {
  return JSON.stringify(stream ? { model: MODEL, messages: MESSAGES, stream: true } : { model: MODEL, messages: MESSAGES });
}

function chatRequest(origin: string, path: string, headers: Record<string, string>): (stream: boolean) => LoadRequest {
  const bodies = { stream: chatBody(true), json: chatBody(false) };
  return (stream) => ({
    url: `${origin}${path}`,
    headers: { 'content-type': 'application/json', ...headers },
    body: stream ? bodies.stream : bodies.json,
  });
}

/**
 * Every TypeScript entry (the upstream, the minimal proxy, the probes) runs with Node's compile cache: a start after
 * the first then loads neither the TypeScript stripper nor compiles its modules again. `crossway` itself
 * (bin/crossway.js) decides as in production: the build in dist/ without the cache, the sources with it (in the same
 * directory). So that no target is measured cold while another is warm, each entry point is started and stopped once
 * before its measured start (for `crossway`, that start also builds a stale dist/).
 */
const COMPILE_CACHE_DIR = join(tmpdir(), 'node-compile-cache');
const primedEntries = new Set<string>();
/** A build of the whole of src/ on a loaded 2-core machine takes up to ~20 s; the priming start may do one. */
const PRIMING_TIMEOUT_MS = 60_000;

async function node(context: BenchContext, name: string, args: string[], readyLine: RegExp, env?: NodeJS.ProcessEnv, onOutput?: (text: string) => void) {
  const runsCrossway = args.some((arg) => arg.endsWith(join('bin', 'crossway.js')));
  const environment: NodeJS.ProcessEnv = { ...(env ?? process.env), NODE_COMPILE_CACHE: COMPILE_CACHE_DIR };
  if (runsCrossway) delete environment.NODE_COMPILE_CACHE;
  const options = { cwd: context.repoRoot, env: environment, readyLine, readyTimeoutMs: 20_000 };
  const entry = args.find((arg) => !arg.startsWith('-')) ?? name;
  if (!primedEntries.has(entry)) {
    primedEntries.add(entry);
    // Without profiling flags: a CPU profile of the priming run would lie beside the measured one.
    const primingArgs = args.filter((arg) => !arg.startsWith('--cpu-prof'));
    const priming = await context.processes.start(`${name} (priming)`, process.execPath, primingArgs, { ...options, readyTimeoutMs: PRIMING_TIMEOUT_MS });
    await context.processes.stop(priming, 10_000);
  }
  return context.processes.start(name, process.execPath, args, { ...options, onOutput });
}

/** The instant OpenAI-compatible upstream, with `chunks` content chunks per stream. */
export async function startUpstream(context: BenchContext, chunks: number): Promise<Target> {
  const started = await node(context, 'upstream', [join(context.repoRoot, 'bench/minimal-upstream.ts'), '--port=0', `--chunks=${chunks}`], /listening (\d+)/);
  const origin = `http://127.0.0.1:${started.ready![1]}`;
  return {
    key: 'upstream',
    label: 'upstream direct (floor)',
    process: started,
    request: chatRequest(origin, '/v1/chat/completions', { authorization: `Bearer ${UPSTREAM_KEY}` }),
  };
}

/** The node:http + undici pass-through proxy in front of `upstream`; `nodeFlags` go before the script (`--cpu-prof`). */
export async function startMinimalProxy(context: BenchContext, upstream: Target, nodeFlags: string[] = []): Promise<Target> {
  const args = [...nodeFlags, join(context.repoRoot, 'bench/minimal-proxy.ts'), '--port=0', `--upstream=${originOf(upstream)}`];
  const started = await node(context, 'minimal-proxy', args, /listening (\d+)/);
  const origin = `http://127.0.0.1:${started.ready![1]}`;
  return {
    key: 'minimal-proxy',
    label: 'minimal Node proxy (ceiling)',
    process: started,
    request: chatRequest(origin, '/v1/chat/completions', { authorization: `Bearer ${UPSTREAM_KEY}` }),
  };
}

export interface CrosswayStartOptions {
  /** Directory for a V8 CPU profile written when the process exits (`node --cpu-prof`). */
  cpuProfileDir?: string;
  /** Another entry point instead of `bin/crossway.js serve` (the memory probe), given the config path. */
  entry?: (configPath: string) => string[];
  name?: string;
  /** Sees the process's output as it arrives. */
  onOutput?: (text: string) => void;
  /** More environment variables of the process (OTEL_EXPORTER_OTLP_ENDPOINT, say). */
  env?: Record<string, string>;
  /**
   * Run as production does: the route is priced (ROUTE_PRICE) and the target calls with a tenant's virtual key that has
   * rate limits and a budget (BENCH_TENANT), created through the admin API once the gateway listens. Every call is then
   * rate-limited, reserved against the key's and the tenant's budgets, priced and settled, its transfers written.
   */
  virtualKey?: boolean;
}

/** The price book of the virtual-key target's route, per 1M tokens (an ordinary mid-range model's). */
const ROUTE_PRICE = { input: 1.25, cached_input: 0.125, output: 10, currency: 'USD' } as const;

/**
 * The virtual-key target's tenant and key: limits far above anything two cores can serve, so that they are checked
 * on every call but never refuse one (10 M requests and 2 * 10^9 tokens a minute, the most PostgreSQL's `integer`
 * column holds: a call holds its 4,096-token output bound only while in flight, then keeps its 62 tokens used, so that
 * is still over 500 k calls/s), and budgets far above what a run spends (with the +25 % margin a
 * call reserves about $0.05 at the 4,096-token bound and is charged under $0.001 for the upstream's 12 + 50 tokens; a
 * bench run makes under a million calls), so that a call is never refused for money either.
 */
const BENCH_TENANT = {
  tenant: {
    id: 'bench-tenant',
    name: 'Bench tenant',
    margin: '0.25',
    rpm: 10_000_000,
    tpm: 2_000_000_000,
    budget: { limit: '1000000.00', currency: 'USD', period: 'month' },
  },
  key: { name: 'bench key', rpm: 10_000_000, tpm: 2_000_000_000, budget: { limit: '100000.00', currency: 'USD', period: 'month' } },
} as const;

/**
 * Writes `<name>.yaml` in the temp dir: one route (provider openai, endpoint = the upstream's /v1, priced when `priced`),
 * the master key, SQLite `<name>.db` beside it.
 */
export function writeCrosswayConfig(context: BenchContext, upstream: Target, name: string, priced = false): string {
  const configPath = join(context.tempDir, `${name}.yaml`);
  writeFileSync(
    configPath,
    [
      'server:',
      '  host: 127.0.0.1',
      '  port: 0',
      `  master_key: ${CROSSWAY_BENCH_MASTER_KEY}`,
      'store:',
      `  sqlite: ${JSON.stringify(join(context.tempDir, `${name}.db`))}`,
      'models:',
      `  - id: ${MODEL}`,
      'routes:',
      '  - id: bench-upstream',
      `    model: ${MODEL}`,
      '    provider: openai',
      `    endpoint: ${originOf(upstream)}/v1`,
      `    auth: { type: bearer, key: ${UPSTREAM_KEY} }`,
      ...(priced ? [`    price: ${JSON.stringify(ROUTE_PRICE)}`] : []),
      '',
    ].join('\n'),
  );
  return configPath;
}

/**
 * `crossway serve` with a one-route catalog (provider openai, endpoint = the upstream's /v1), master key and SQLite in
 * the temp dir; with `virtualKey`, a priced route and a tenant's virtual key with limits and a budget (key
 * `crossway-vk`).
 */
export async function startCrossway(context: BenchContext, upstream: Target, options: CrosswayStartOptions = {}): Promise<Target> {
  const virtualKey = options.virtualKey === true;
  const name = options.name ?? (virtualKey ? 'crossway-vk' : 'crossway');
  const configPath = writeCrosswayConfig(context, upstream, name, virtualKey);
  const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
  const entry = options.entry?.(configPath) ?? [join(context.repoRoot, 'bin/crossway.js'), 'serve', '--config', configPath];
  const env = { ...process.env };
  delete env.CROSSWAY_MASTER_KEY;
  delete env.CROSSWAY_CONFIG;
  // The environment would select PostgreSQL and Redis where the file names none: a bench target runs on what its file says.
  delete env.CROSSWAY_DATABASE_URL;
  delete env.CROSSWAY_REDIS_URL;
  Object.assign(env, options.env);
  const started = await node(context, name, [...profile, ...entry], /listening on (http:\/\/[\d.]+:\d+)/, env, options.onOutput);
  const origin = started.ready![1]!;
  if (!virtualKey)
    return {
      key: 'crossway',
      label: 'Crossway',
      process: started,
      request: chatRequest(origin, '/v1/chat/completions', { authorization: `Bearer ${CROSSWAY_BENCH_MASTER_KEY}` }),
    };
  const key = await createBenchVirtualKey(origin);
  const target: Target = {
    key: 'crossway-vk',
    label: 'Crossway, virtual key + priced route',
    process: started,
    request: chatRequest(origin, '/v1/chat/completions', { authorization: `Bearer ${key}` }),
    tenantUsage: () => readTenantUsage(origin),
  };
  await checkPricedCall(target);
  return target;
}

/** One call with the key must leave a charged usage event: otherwise this target does not measure what it claims. */
async function checkPricedCall(target: Target): Promise<void> {
  const call = target.request(false);
  const response = await undiciRequest(call.url, { method: 'POST', headers: call.headers, body: call.body, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`the virtual key's first call answered ${response.statusCode}: ${text.slice(0, 300)}`);
  const usage = await target.tenantUsage!();
  if (usage.requests < 1 || !(Number(usage.charged) > 0)) throw new Error(`the virtual key's first call left no charged usage event: ${JSON.stringify(usage)}`);
}

async function readTenantUsage(origin: string): Promise<TenantUsage> {
  const response = await undiciRequest(`${origin}/admin/usage?tenant=${BENCH_TENANT.tenant.id}`, {
    headers: { authorization: `Bearer ${CROSSWAY_BENCH_MASTER_KEY}` },
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`GET /admin/usage answered ${response.statusCode}: ${text.slice(0, 300)}`);
  const { total } = JSON.parse(text) as { total: TenantUsage };
  return { requests: total.requests, charged: total.charged, currency: total.currency };
}

/** Creates BENCH_TENANT and its key through the admin API (master key) and returns the key's secret. */
async function createBenchVirtualKey(origin: string): Promise<string> {
  await adminPost(origin, '/admin/tenants', BENCH_TENANT.tenant);
  const created = (await adminPost(origin, '/admin/keys', { tenant: BENCH_TENANT.tenant.id, ...BENCH_TENANT.key })) as { key?: unknown };
  if (typeof created.key !== 'string') throw new Error(`POST /admin/keys answered without a key: ${JSON.stringify(created).slice(0, 200)}`);
  return created.key;
}

async function adminPost(origin: string, path: string, body: unknown): Promise<unknown> {
  const response = await undiciRequest(`${origin}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CROSSWAY_BENCH_MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await response.body.text();
  if (response.statusCode !== 201) throw new Error(`POST ${path} answered ${response.statusCode}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** Where Portkey's gateway is installed, and its version; null when the devDependency is missing. */
export function findPortkey(repoRoot: string): { entry: string; version: string } | null {
  const packageDir = join(repoRoot, 'node_modules/@portkey-ai/gateway');
  try {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string; bin: string | Record<string, string> };
    const bin = typeof manifest.bin === 'string' ? manifest.bin : Object.values(manifest.bin)[0];
    return bin === undefined ? null : { entry: join(packageDir, bin), version: manifest.version };
  } catch {
    return null;
  }
}

/**
 * Portkey's gateway from node_modules on this Node, headless (no console UI). Its port is set with `--port=`; it has no
 * host option (it binds every interface), but the bench only ever calls it on 127.0.0.1. Requests name the provider
 * and the upstream in Portkey's headers (https://portkey.ai/docs/product/ai-gateway/custom-hosts); the bearer key is
 * passed through to the upstream.
 */
export async function startPortkey(context: BenchContext, upstream: Target): Promise<Target | null> {
  const found = findPortkey(context.repoRoot);
  if (found === null) return null;
  const port = await findFreePort();
  const started = await context.processes.start('portkey', process.execPath, [found.entry, `--port=${port}`, '--headless'], {
    cwd: context.tempDir,
    readyLine: /Ready for connections/,
    readyTimeoutMs: 20_000,
  });
  const headers = {
    authorization: `Bearer ${UPSTREAM_KEY}`,
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `${originOf(upstream)}/v1`,
  };
  return {
    key: 'portkey',
    label: `Portkey gateway ${found.version}`,
    process: started,
    request: chatRequest(`http://127.0.0.1:${port}`, '/v1/chat/completions', headers),
  };
}

/** `nginx` on PATH, or null. */
export function findNginx(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'nginx');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

/**
 * nginx as a plain reverse proxy (one worker, keep-alive to the upstream, no buffering so streams pass at once): the
 * native floor for any proxy on this machine. Null when nginx is not installed.
 */
export async function startNginx(context: BenchContext, upstream: Target): Promise<Target | null> {
  const binary = findNginx();
  if (binary === null) return null;
  const port = await findFreePort();
  const prefix = join(context.tempDir, 'nginx');
  const configPath = join(context.tempDir, 'nginx.conf');
  const upstreamHost = originOf(upstream).replace(/^http:\/\//, '');
  writeFileSync(
    configPath,
    `worker_processes 1;
daemon off;
pid ${join(context.tempDir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}-body;
  proxy_temp_path ${prefix}-proxy;
  fastcgi_temp_path ${prefix}-fastcgi;
  uwsgi_temp_path ${prefix}-uwsgi;
  scgi_temp_path ${prefix}-scgi;
  upstream bench_upstream { server ${upstreamHost}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`,
  );
  // `-e stderr`: never try the compiled-in error log path (nginx opens it before reading the configuration).
  const started = await context.processes.start('nginx', binary, ['-p', dirname(configPath), '-e', 'stderr', '-c', configPath], { cwd: context.tempDir });
  await waitForPort(port, 10_000);
  return {
    key: 'nginx',
    label: 'nginx reverse proxy (native floor)',
    process: started,
    request: chatRequest(`http://127.0.0.1:${port}`, '/v1/chat/completions', { authorization: `Bearer ${UPSTREAM_KEY}` }),
  };
}

/** The `http://127.0.0.1:port` a target listens on. */
export function originOf(target: Target): string {
  return new URL(target.request(false).url).origin;
}

/** A port that was free a moment ago (for servers that cannot listen on port 0 and report it). */
function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls a TCP connect until it succeeds, bounded by `timeoutMs`. */
async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}
