// One tenant's hostile traffic (oversized constraints, huge space-less and CJK inputs, deep nesting, slow headers, idle
// sockets) runs against a real gateway process while another tenant's ordinary calls keep succeeding with bounded
// latency (issue 13). Bounded in time and count; everything goes to 127.0.0.1 and stops by itself.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startEmulators, type RunningEmulators } from '../src/emulators/index.ts';
import { spawnGateway } from './support/spawn-gateway.ts';

const MASTER = 'sk-cw-resource-master-0001';
/** How long the attack lasts; the victim calls throughout. */
const ATTACK_MS = 8_000;
/** A victim call slower than this fails the test (generous: 2 cores are shared with the attacker and the emulators). */
const VICTIM_LATENCY_BOUND_MS = 2_500;

describe('one tenant cannot starve another', () => {
  let emulators: RunningEmulators;
  let dataDir: string;
  let gateway: { child: ChildProcess; url: string };

  before(async () => {
    emulators = await startEmulators({ basePort: 0, openai: { apiKeys: ['sk-emulator-openai'] }, azure: { apiKeys: ['emulator-azure-key'] } });
    dataDir = mkdtempSync(join(tmpdir(), 'crossway-resource-'));
    const config = join(dataDir, 'crossway.yaml');
    const route = (id: string, provider: string, endpoint: string, auth: Record<string, unknown>) => ({
      id,
      model: 'gpt-5.5',
      provider,
      endpoint,
      auth,
      region: 'eastus2',
      capabilities: ['streaming', 'tools'],
      price: { input: 5, output: 30, currency: 'USD' },
      limits: { context: 400_000 },
    });
    writeFileSync(
      config,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0, master_key: MASTER, headers_timeout_ms: 2_000, request_timeout_ms: 5_000, max_connections: 512 },
        store: { sqlite: join(dataDir, 'crossway.db') },
        models: [{ id: 'gpt-5.5', owned_by: 'openai' }],
        routes: [
          route('azure-gpt-5.5', 'azure', emulators.emulators.azure!.url, { type: 'api-key', key: 'emulator-azure-key' }),
          route('openai-gpt-5.5', 'openai', `${emulators.emulators.openai!.url}/v1`, { type: 'bearer', key: 'sk-emulator-openai' }),
        ],
      }),
    );
    gateway = await spawnGateway(config);
  });
  after(async () => {
    if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
    await emulators.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function admin(path: string, body: unknown): Promise<any> {
    const response = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 201, await response.clone().text());
    return response.json();
  }

  it('keeps serving a quiet tenant with bounded latency while another attacks', async () => {
    await admin('/admin/tenants', { id: 'attacker', name: 'Attacker' });
    await admin('/admin/tenants', { id: 'victim', name: 'Victim' });
    const attackerKey = (await admin('/admin/keys', { tenant: 'attacker', rpm: 600, budget: { limit: '0.001', period: 'day' } })).key as string;
    const victimKey = (await admin('/admin/keys', { tenant: 'victim' })).key as string;
    const victim = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: victimKey, maxRetries: 0, timeout: 20_000 });
    const { hostname, port } = new URL(gateway.url);

    // Bodies built once, so that the attack costs this process little and the gateway much.
    const spaceless = 'a'.repeat(200_000);
    const cjk = '漢字仮名交じり文'.repeat(25_000);
    const hostileBodies = [
      JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: spaceless }] }),
      JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: cjk }] }),
      JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }], crossway: { regions: ['r'.repeat(1024 * 1024)] } }),
      `{"model":"gpt-5.5","messages":[{"role":"user","content":"hi"}],"extra":${'['.repeat(10_000)}0${']'.repeat(10_000)}}`,
    ];
    const hostilePaths = ['/v1/chat/completions', '/v1/responses/input_tokens'];
    const until = Date.now() + ATTACK_MS;
    const sockets: Socket[] = [];
    let attackRequests = 0;
    let attackServerErrors = 0;

    const attackLoop = async (seed: number): Promise<void> => {
      for (let index = seed; Date.now() < until; index += 1) {
        const body = hostileBodies[index % hostileBodies.length]!;
        const path = hostilePaths[index % hostilePaths.length]!;
        const payload = path === '/v1/responses/input_tokens' ? body.replace('"messages":', '"input":') : body;
        const response = await fetch(`${gateway.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${attackerKey}`, 'content-type': 'application/json' },
          body: payload,
        }).catch(() => null);
        attackRequests += 1;
        if (response !== null) {
          if (response.status >= 500) attackServerErrors += 1;
          await response.arrayBuffer();
        }
      }
    };
    const socketLoop = async (): Promise<void> => {
      // Idle sockets and slow headers: opened in bursts, never finished.
      while (Date.now() < until && sockets.length < 400) {
        for (let index = 0; index < 20; index += 1) {
          const socket = connect(Number(port), hostname);
          socket.on('error', () => undefined);
          if (index % 2 === 0) socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
          sockets.push(socket);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
        for (const socket of sockets) if (!socket.destroyed && socket.writable) socket.write('X');
      }
    };

    const latencies: number[] = [];
    const victimLoop = async (): Promise<void> => {
      while (Date.now() < until) {
        const started = performance.now();
        const completion = await victim.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'ordinary call' }], max_tokens: 16 });
        latencies.push(performance.now() - started);
        assert.equal(completion.choices.length, 1);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    try {
      await Promise.all([attackLoop(0), attackLoop(1), attackLoop(2), socketLoop(), victimLoop()]);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    latencies.sort((a, b) => a - b);
    const worst = latencies[latencies.length - 1] ?? Infinity;
    const median = latencies[Math.floor(latencies.length / 2)] ?? Infinity;
    console.log(
      `resource test: ${attackRequests} hostile requests, ${sockets.length} hostile sockets; victim ${latencies.length} calls, p50 ` +
        `${median.toFixed(1)} ms, max ${worst.toFixed(1)} ms`,
    );
    assert.ok(latencies.length >= 10, `the victim completed only ${latencies.length} calls`);
    assert.ok(worst < VICTIM_LATENCY_BOUND_MS, `a victim call took ${worst.toFixed(0)} ms`);
    assert.equal(attackServerErrors, 0);
    const health = await fetch(`${gateway.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(gateway.child.exitCode, null, 'the gateway process died');
  });
});
