// The README's quick start: `npm start` runs the demo (emulators + gateway + SQLite), answers a chat request and serves
// the dashboard; its MCP server (`demo-tools`) is registered for the tenant default and an agent session calls it, as the
// README's example does.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('npm start (demo mode)', () => {
  let child: ChildProcess;
  let output = '';
  let dataDir: string;
  let url: string;
  let key: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'crossway-quick-start-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', CROSSWAY_EMULATOR_BASE_PORT: '0', CROSSWAY_DATA_DIR: dataDir, CROSSWAY_LOG_LEVEL: 'warn' };
    delete env.CROSSWAY_MASTER_KEY;
    child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout?.on('data', (chunk) => (output += String(chunk)));
    child.stderr?.on('data', (chunk) => (output += String(chunk)));
    const deadline = Date.now() + 30_000;
    while (!/master key: (\S+)/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`demo did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    url = /Crossway demo is running: (\S+)/.exec(output)![1]!;
    key = /master key: (\S+)/.exec(output)![1]!;
  });

  after(() => {
    // npm runs the gateway as a child: end the whole process group we started.
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the URL, the key and a first curl, keeps the key under the data dir', () => {
    assert.match(output, /curl http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/);
    assert.ok(existsSync(join(dataDir, 'master-key')));
    assert.ok(existsSync(join(dataDir, 'crossway.db')));
  });

  it("starts the demo MCP server, registered as 'demo-tools', and an agent session calls its tools (the README's example)", async () => {
    const mcpUrl = /mcp: +(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(output)?.[1];
    assert.ok(mcpUrl, `the banner names the demo MCP server:\n${output}`);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
    const tool = { type: 'mcp', server_label: 'demo-tools', transport: { type: 'http', server_url: mcpUrl }, connection_origin: 'service' } as const;
    const session = await client.beta.agents.sessions.create({
      agent: { model: 'gpt-5.5', tools: [tool] },
      environment: { type: 'none' },
      input: 'Where is my order? Use lookup_order with ```1001```.',
    });
    const deadline = Date.now() + 20_000;
    while ((await client.beta.agents.sessions.retrieve(session.id)).status !== 'idle') {
      assert.ok(Date.now() < deadline, 'the session settles');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const items: Record<string, unknown>[] = [];
    for await (const item of client.beta.agents.sessions.items.list(session.id, { order: 'asc' })) items.push(item as unknown as Record<string, unknown>);
    const call = items.find((item) => item.type === 'mcp_call');
    assert.equal(call?.server_label, 'demo-tools');
    assert.equal(call?.name, 'lookup_order');
    assert.equal(call?.status, 'completed', JSON.stringify(call));
    assert.deepEqual(JSON.parse(String(call?.output)), {
      order_id: '1001',
      status: 'shipped',
      item: 'Espresso machine',
      quantity: 1,
      total: '349.00 USD',
      eta: '2026-12-10',
    });
    const answer = items.filter((item) => item.type === 'message' && item.role === 'assistant').at(-1);
    assert.match(JSON.stringify(answer), /after lookup_order returned a result/);
  });

  it('answers /healthz and a chat request with the printed key', async () => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hello from the quick start' }] })
      .withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'azure-eastus2-gpt-5.5');
    assert.match(data.choices[0]?.message.content ?? '', /quick start/);
  });

  it('prints the dashboard URL and serves the dashboard there (built at start when ui/ changed)', async () => {
    const dashboard = /dashboard: (\S+)/.exec(output)?.[1];
    assert.equal(dashboard, `${url}/ui/`);
    const page = await fetch(dashboard);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="\/ui\/assets\/main-[A-Z0-9]+\.js">/);
  });
});
