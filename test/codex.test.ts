// Codex CLI end to end: the real `codex exec` (the @openai/codex devDependency), headless, with a temporary CODEX_HOME
// whose config.toml declares Crossway as a Responses provider (the block the README shows), against the demo catalog on
// the emulators. Over HTTP: a plain turn on each gpt-5.5 route (forced with x-crossway-* headers, which Codex's provider
// config sends as `http_headers`), a shell tool round trip, an apply_patch custom tool call carried through a chat
// route, and a session resumed. Over the Responses WebSocket (`supports_websockets = true`): a plain turn and a tool
// round trip, seen on the wire through a recording tap. On gpt-oss-120b's routes (Bedrock Converse, Vertex): a plain
// turn and a tool round trip on each, one over the WebSocket, and a session resumed on Converse. Nothing leaves
// 127.0.0.1: Codex's network features are off, and its proxy variables point at a local trap that must see no connection.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startDemoStack, type DemoStack } from './support/start-demo-stack.ts';
import { startHttpTap, type HttpTap } from './support/start-http-tap.ts';

const CODEX = fileURLToPath(new URL('../node_modules/@openai/codex/bin/codex.js', import.meta.url));
/** Every Codex run is bounded: a plain turn takes a few seconds here. */
const RUN_TIMEOUT_MS = 90_000;

/** Codex features that reach outside (plugin and skill marketplaces, model discovery, apps, updates): all off. */
const NETWORK_FEATURES = ['plugins', 'remote_plugin', 'plugin_sharing', 'apps', 'api_key_model_discovery', 'skill_search', 'tool_suggest', 'in_app_updates'];

interface JournalEntry {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | null;
}

/** The text of the last message of a chat or Converse request body when it is the user's: its last text part. */
function lastUserText(body: Record<string, unknown> | null): string | undefined {
  const last = (body?.messages as Array<{ role?: string; content?: unknown }> | undefined)?.at(-1);
  if (last?.role !== 'user') return undefined;
  if (typeof last.content === 'string') return last.content;
  const parts = Array.isArray(last.content) ? (last.content as Array<{ text?: unknown }>) : [];
  const text = parts.findLast((part) => typeof part.text === 'string')?.text;
  return typeof text === 'string' ? text : undefined;
}

/** How a CODEX_HOME's provider reaches Crossway. */
interface ProviderOptions {
  model?: string;
  /** Codex opens the Responses WebSocket first (falling back to HTTP only when the upgrade is refused). */
  websockets?: boolean;
  /** The gateway's origin by default; a tap's to watch the wire. */
  origin?: string;
}

type Cloud = 'openai' | 'azure' | 'bedrock' | 'vertex';

describe('Codex CLI through Crossway', { timeout: 600_000 }, () => {
  let stack: DemoStack;
  let root: string;
  let tap: HttpTap;
  let trap: Server;
  let trapUrl: string;
  const outbound: string[] = [];

  before(async () => {
    stack = await startDemoStack();
    root = mkdtempSync(join(tmpdir(), 'crossway-codex-'));
    // A proxy that refuses everything and remembers what was tried: anything Codex tries to reach beyond 127.0.0.1
    // goes through it (HTTPS_PROXY), and fails here instead of leaving the machine.
    trap = createServer((request, response) => {
      outbound.push(`${request.method} ${request.url}`);
      response.writeHead(502).end();
    });
    trap.on('connect', (request, socket) => {
      outbound.push(`CONNECT ${request.url}`);
      socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
    tap = await startHttpTap(stack.gateway.url);
  });

  after(async () => {
    await tap?.close();
    await new Promise<void>((resolve) => trap.close(() => resolve()));
    await stack?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** A CODEX_HOME whose config names Crossway as the provider, sending `headers` with every request. */
  function codexHome(name: string, headers: Record<string, string>, options: ProviderOptions = {}): { home: string; work: string } {
    const { model = 'gpt-5.5', websockets = false, origin = stack.gateway.url } = options;
    const home = join(root, name);
    const work = join(home, 'work');
    mkdirSync(join(home, 'codex'), { recursive: true });
    mkdirSync(work, { recursive: true });
    const headerList = Object.entries(headers)
      .map(([key, value]) => `${JSON.stringify(key)} = ${JSON.stringify(value)}`)
      .join(', ');
    const config = [
      `model = ${JSON.stringify(model)}`,
      'model_provider = "crossway"',
      'check_for_update_on_startup = false',
      '[analytics]',
      'enabled = false',
      '[feedback]',
      'enabled = false',
      '[features]',
      ...NETWORK_FEATURES.map((feature) => `${feature} = false`),
      '[model_providers.crossway]',
      'name = "Crossway"',
      `base_url = "${origin}/v1"`,
      'env_key = "CROSSWAY_API_KEY"',
      'wire_api = "responses"',
      `supports_websockets = ${websockets}`,
      'request_max_retries = 0',
      'stream_max_retries = 0',
      `http_headers = { ${headerList} }`,
    ].join('\n');
    writeFileSync(join(home, 'codex', 'config.toml'), `${config}\n`);
    return { home, work };
  }

  /** Runs `codex exec` headless in the home's work directory; resolves with everything it printed. */
  function runCodex(where: { home: string; work: string }, args: string[]): Promise<string> {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: where.home,
      CODEX_HOME: join(where.home, 'codex'),
      CROSSWAY_API_KEY: stack.demo.masterKey,
      HTTPS_PROXY: trapUrl,
      HTTP_PROXY: trapUrl,
      ALL_PROXY: trapUrl,
      NO_PROXY: '127.0.0.1,localhost',
      NO_COLOR: '1',
    };
    return new Promise((resolve, reject) => {
      const child = execFile(
        process.execPath,
        [CODEX, 'exec', '--skip-git-repo-check', ...args],
        { cwd: where.work, env, timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const output = `${stdout}\n${stderr}`;
          if (error !== null) reject(new Error(`codex exec failed: ${error.message}\n${output.slice(-4000)}`));
          else resolve(output);
        },
      );
      // The prompt is an argument: Codex would otherwise wait for more of it on stdin.
      child.stdin?.end();
    });
  }

  async function journal(cloud: Cloud): Promise<JournalEntry[]> {
    const emulator = stack.demo.emulators.emulators[cloud];
    assert.ok(emulator !== undefined);
    const response = await fetch(`${emulator.url}/__emulator/requests`);
    return ((await response.json()) as { data: JournalEntry[] }).data;
  }

  const routes: Array<{ name: string; headers: Record<string, string>; cloud: Cloud; path: RegExp }> = [
    {
      name: 'Azure v1 (native Responses)',
      headers: { 'x-crossway-providers-only': 'azure', 'x-crossway-regions': 'eastus2' },
      cloud: 'azure',
      path: /^\/openai\/v1\/responses$/,
    },
    {
      name: 'Azure deployments (chat completions)',
      headers: { 'x-crossway-providers-only': 'azure', 'x-crossway-regions': 'swedencentral' },
      cloud: 'azure',
      path: /^\/openai\/deployments\/gpt-5\.5\/chat\/completions$/,
    },
    { name: 'Bedrock (OpenAI-compatible chat completions)', headers: { 'x-crossway-providers-only': 'bedrock' }, cloud: 'bedrock', path: /chat\/completions$/ },
    { name: 'OpenAI (native Responses)', headers: { 'x-crossway-providers-only': 'openai' }, cloud: 'openai', path: /^\/v1\/responses$/ },
  ];
  for (const [index, route] of routes.entries()) {
    it(`answers a plain turn on ${route.name}`, async () => {
      const before = (await journal(route.cloud)).length;
      const output = await runCodex(codexHome(`plain-${index}`, route.headers), ['Say hello']);
      assert.match(output, new RegExp(`Emulated reply from ${route.cloud} to \\d+ messages\\. Last user message \\(sha256 [0-9a-f]{8}\\): "Say hello"`));
      const sent = (await journal(route.cloud)).slice(before).filter((entry) => route.path.test(entry.path));
      assert.ok(sent.length >= 1, `no request on ${route.path}`);
      for (const entry of sent) {
        // Codex's own headers and its client_metadata stay at the gateway.
        assert.deepEqual(
          Object.keys(entry.headers).filter((name) => name === 'session-id' || name.startsWith('x-codex') || name === 'thread-id'),
          [],
        );
        assert.equal(JSON.stringify(entry.body).includes('client_metadata'), false);
      }
    });
  }

  it('runs a shell tool round trip: exec_command called, its output returned, a final answer (Bedrock chat route)', async () => {
    const output = await runCodex(codexHome('tool', { 'x-crossway-providers-only': 'bedrock' }), ['Use exec_command to run ```echo crossway-tool-ok```']);
    assert.match(output, /crossway-tool-ok/);
    assert.match(output, /Emulated reply from bedrock after exec_command returned a result/);
  });

  it('carries an apply_patch custom tool call through a chat route, and Codex applies the patch', async () => {
    const where = codexHome('patch', { 'x-crossway-providers-only': 'bedrock' });
    const patch = ['```', '*** Begin Patch', '*** Add File: hello.txt', '+hello from crossway', '*** End Patch', '```'].join('\n');
    const output = await runCodex(where, ['-s', 'workspace-write', `Use apply_patch with\n${patch}`]);
    assert.equal(readFileSync(join(where.work, 'hello.txt'), 'utf8'), 'hello from crossway\n');
    assert.match(output, /Emulated reply from bedrock after apply_patch returned a result/);
    // On the chat route the custom tool was a function of one string whose description carries the grammar.
    const requests = (await journal('bedrock')).filter((entry) => JSON.stringify(entry.body).includes('apply_patch'));
    const tools = (requests[0]?.body?.tools ?? []) as Array<{ function: { name: string; description?: string; parameters?: unknown } }>;
    const applyPatch = tools.find((tool) => tool.function.name === 'apply_patch');
    assert.match(applyPatch?.function.description ?? '', /Lark grammar/);
    assert.deepEqual((applyPatch?.function.parameters as { required?: unknown } | undefined)?.required, ['input']);
  });

  it('resumes a session (codex exec resume --last) with its history', async () => {
    const where = codexHome('resume', { 'x-crossway-providers-only': 'openai' });
    await runCodex(where, ['Remember the word quartz']);
    const output = await runCodex(where, ['resume', '--last', 'Say it again']);
    const answered = /Emulated reply from openai to (\d+) messages\. Last user message \(sha256 [0-9a-f]{8}\): "Say it again"/.exec(output);
    assert.ok(answered !== null, output.slice(-2000));
    // The first turn's prompt and answer came back as context.
    assert.ok(Number(answered[1]) >= 6, `only ${answered[1]} messages`);
  });

  /** What went through the tap from `from` on: WebSocket upgrades of /v1/responses, and HTTP requests to /v1/responses*. */
  function transports(from: number): { upgrades: number[]; httpTurns: string[] } {
    const entries = tap.entries.slice(from).filter((entry) => entry.path.split('?', 1)[0]?.startsWith('/v1/responses'));
    return {
      upgrades: entries.filter((entry) => entry.kind === 'upgrade').map((entry) => entry.status ?? 0),
      httpTurns: entries.filter((entry) => entry.kind === 'http').map((entry) => `${entry.method} ${entry.path}`),
    };
  }

  describe('over the Responses WebSocket', () => {
    it('answers a plain turn, on an upgraded socket and never over HTTP (OpenAI native Responses route)', async () => {
      const from = tap.entries.length;
      const before = (await journal('openai')).length;
      const where = codexHome('ws-plain', { 'x-crossway-providers-only': 'openai' }, { websockets: true, origin: tap.url });
      const output = await runCodex(where, ['Say hello over a socket']);
      assert.match(output, /Emulated reply from openai to \d+ messages\. Last user message \(sha256 [0-9a-f]{8}\): "Say hello over a socket"/);
      const seen = transports(from);
      assert.ok(seen.upgrades.length >= 1, 'no WebSocket upgrade of /v1/responses');
      assert.deepEqual(new Set(seen.upgrades), new Set([101]));
      assert.deepEqual(seen.httpTurns, [], 'Codex fell back to HTTP');
      // The upgrade's http_headers routed the socket's turns: the forced cloud answered.
      const sent = (await journal('openai')).slice(before).filter((entry) => /^\/v1\/responses$/.test(entry.path));
      assert.ok(sent.length >= 1, 'no request reached the OpenAI route');
    });

    it('runs a shell tool round trip over the socket: exec_command called, its output returned, a final answer (Bedrock chat route)', async () => {
      const from = tap.entries.length;
      const before = (await journal('bedrock')).length;
      const where = codexHome('ws-tool', { 'x-crossway-providers-only': 'bedrock' }, { websockets: true, origin: tap.url });
      const output = await runCodex(where, ['Use exec_command to run ```echo crossway-socket-tool-ok```']);
      assert.match(output, /crossway-socket-tool-ok/);
      assert.match(output, /Emulated reply from bedrock after exec_command returned a result/);
      // Both turns (the call, then its output) on one socket, none over HTTP; the second continued the first, so the
      // cloud got the whole history: the prompt, the call and its output.
      const seen = transports(from);
      assert.deepEqual(seen.upgrades, [101]);
      assert.deepEqual(seen.httpTurns, [], 'Codex fell back to HTTP');
      const sent = (await journal('bedrock')).slice(before).filter((entry) => entry.path.endsWith('/chat/completions'));
      assert.equal(sent.length, 2);
      const history = JSON.stringify(sent[1]?.body?.messages);
      assert.ok(history.includes('Use exec_command to run'), 'the prompt was lost');
      assert.match(history, /"role":"tool"[^}]*crossway-socket-tool-ok/);
    });
  });

  describe("on gpt-oss-120b's routes", () => {
    const ossRoutes: Array<{ name: string; provider: string; cloud: Cloud; path: RegExp }> = [
      { name: 'Bedrock Converse', provider: 'bedrock', cloud: 'bedrock', path: /^\/model\/openai\.gpt-oss-120b-1%3A0\/converse-stream$/ },
      {
        name: 'Vertex (OpenAI-compatible chat completions)',
        provider: 'vertex',
        cloud: 'vertex',
        path: /^\/v1\/projects\/crossway-demo\/locations\/us-central1\/endpoints\/openapi\/chat\/completions$/,
      },
    ];
    it('runs a tool round trip over the Responses WebSocket on Bedrock Converse', async () => {
      const from = tap.entries.length;
      const where = codexHome('oss-ws-tool', { 'x-crossway-providers-only': 'bedrock' }, { model: 'gpt-oss-120b', websockets: true, origin: tap.url });
      const output = await runCodex(where, ['Use exec_command to run ```echo crossway-oss-socket-ok```']);
      assert.match(output, /crossway-oss-socket-ok/);
      assert.match(output, /Emulated reply from bedrock after exec_command returned a result/);
      const seen = transports(from);
      assert.deepEqual(seen.upgrades, [101]);
      assert.deepEqual(seen.httpTurns, [], 'Codex fell back to HTTP');
    });

    it('resumes a session after a tool round trip on Bedrock Converse: the history, tool blocks included, goes back', async () => {
      const where = codexHome('oss-resume', { 'x-crossway-providers-only': 'bedrock' }, { model: 'gpt-oss-120b' });
      await runCodex(where, ['Use exec_command to run ```echo crossway-oss-first```']);
      const before = (await journal('bedrock')).length;
      const output = await runCodex(where, ['resume', '--last', 'Say it again']);
      assert.match(output, /Emulated reply from bedrock to \d+ messages\. Last user message \(sha256 [0-9a-f]{8}\): "Say it again"/);
      const sent = (await journal('bedrock')).slice(before).filter((entry) => entry.path.endsWith('/converse-stream'));
      assert.equal(sent.length, 1);
      const body = sent[0]?.body ?? {};
      // Converse takes tool blocks in the history only with a toolConfig; roles alternate, user first and last.
      assert.ok(body.toolConfig !== undefined, 'no toolConfig');
      const messages = body.messages as Array<{ role: string; content: unknown[] }>;
      assert.deepEqual(
        messages.map((message) => message.role),
        ['user', 'assistant', 'user', 'assistant', 'user'],
      );
      const history = JSON.stringify(messages);
      assert.match(history, /"toolUse":\{[^}]*"name":"exec_command"/);
      assert.match(history, /"toolResult":.*crossway-oss-first/);
      assert.equal(lastUserText(body), 'Say it again');
    });

    for (const route of ossRoutes) {
      it(`answers a plain turn on ${route.name}`, async () => {
        const before = (await journal(route.cloud)).length;
        const where = codexHome(`oss-plain-${route.provider}`, { 'x-crossway-providers-only': route.provider }, { model: 'gpt-oss-120b' });
        const output = await runCodex(where, ['Say hello to gpt-oss']);
        assert.match(output, new RegExp(`Emulated reply from ${route.cloud} to \\d+ messages\\. Last user message \\(sha256 [0-9a-f]{8}\\)`));
        const sent = (await journal(route.cloud)).slice(before).filter((entry) => route.path.test(entry.path));
        assert.equal(sent.length, 1, `one request on ${route.path}`);
        // The prompt is the last user text the cloud got (Converse joins Codex's consecutive user messages, its
        // environment context and the prompt, into one message, as the API's alternating roles require).
        assert.equal(lastUserText(sent[0]?.body ?? null), 'Say hello to gpt-oss');
      });

      it(`runs a shell tool round trip on ${route.name}`, async () => {
        const before = (await journal(route.cloud)).length;
        const where = codexHome(`oss-tool-${route.provider}`, { 'x-crossway-providers-only': route.provider }, { model: 'gpt-oss-120b' });
        const output = await runCodex(where, [`Use exec_command to run \`\`\`echo crossway-oss-${route.provider}-ok\`\`\``]);
        assert.match(output, new RegExp(`crossway-oss-${route.provider}-ok`));
        assert.match(output, new RegExp(`Emulated reply from ${route.cloud} after exec_command returned a result`));
        // The second call carried the command's output back as the cloud's own tool result.
        const sent = (await journal(route.cloud)).slice(before).filter((entry) => route.path.test(entry.path));
        assert.equal(sent.length, 2);
        const last = JSON.stringify((sent[1]?.body?.messages as unknown[] | undefined)?.at(-1));
        assert.match(last, route.cloud === 'bedrock' ? /"toolResult"/ : /"role":"tool"/);
        assert.match(last, new RegExp(`crossway-oss-${route.provider}-ok`));
      });
    }
  });

  it('reached nothing beyond 127.0.0.1', () => {
    assert.deepEqual(outbound, []);
  });
});
