// Secrets never leave the gateway, and no client input can send credentials anywhere but the route's endpoint.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from './support/start-stack.ts';

const CANARIES = {
  master: 'sk-cw-canary-master-7f3a9c1e5b',
  openai: 'sk-canary-openai-0d4e8f2a6c',
  azure: 'canary-azure-key-9b1f7d3e5a',
};

describe('secrets and credential destinations', () => {
  let stack: Stack;
  let trap: Server;
  let trapUrl: string;
  let trapHits = 0;
  const seen: string[] = [];

  before(async () => {
    stack = await startStack({ masterKey: CANARIES.master, openaiKey: CANARIES.openai, azureKey: CANARIES.azure });
    trap = createServer((_req, res) => {
      trapHits += 1;
      res.end('{}');
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
  });
  after(async () => {
    await stack.close();
    await new Promise((resolve) => trap.close(resolve));
  });

  async function call(path: string, init: RequestInit = {}): Promise<void> {
    const response = await fetch(`${stack.url}${path}`, init);
    seen.push(`${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`);
  }

  function jsonPost(body: unknown, key = CANARIES.master, headers: Record<string, string> = {}): RequestInit {
    return { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
  }

  it('no client field or header changes where a request (and its credentials) goes', async () => {
    await call(
      '/v1/chat/completions',
      jsonPost(
        {
          model: 'gpt-5.5',
          messages: [{ role: 'user', content: 'hi' }],
          api_base: trapUrl,
          base_url: trapUrl,
          endpoint: trapUrl,
          azure_endpoint: trapUrl,
          extra_headers: { host: trapUrl },
        },
        CANARIES.master,
        { 'x-forwarded-host': trapUrl.slice(7), 'x-api-base': trapUrl, 'x-crossway-route': 'attacker' },
      ),
    );
    await call('/v1/chat/completions', jsonPost({ model: `../../${trapUrl}?`, messages: [{ role: 'user', content: 'hi' }] }));
    assert.equal(trapHits, 0);
    const journal = await stack.journal('azure');
    assert.equal(journal.at(-1)?.path, '/openai/v1/chat/completions');
  });

  it('canary secrets appear in no response, log line or stored row', async () => {
    // Successes, client errors, upstream failures of every kind, a stream and a wrong key.
    await call('/v1/chat/completions', jsonPost({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hello' }] }));
    await call('/v1/chat/completions', jsonPost({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hello' }], stream: true }));
    await call('/v1/chat/completions', jsonPost({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'x [[content-filter]]' }] }));
    await call('/v1/chat/completions', jsonPost({ model: 'gpt-5.5' }));
    await call('/v1/models', { headers: { authorization: 'Bearer sk-cw-wrong-but-long-key-000' } });
    await stack.fault('azure', { status: 500 });
    await stack.fault('openai', { status: 503 });
    await call('/v1/chat/completions', jsonPost({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'fail' }] }));
    await stack.clearFaults();
    await stack.fault('azure', { disconnect_after_chunks: 2 });
    await call('/v1/chat/completions', jsonPost({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'break' }], stream: true }));
    await stack.clearFaults();

    // A route whose key the cloud rejects: the cloud's 401 is reported without the key.
    const misconfigured = await startStack({
      ...{ masterKey: CANARIES.master, openaiKey: CANARIES.openai, azureKey: CANARIES.azure },
      emulatorKeys: { openai: 'sk-the-emulator-wants-this', azure: 'emulator-wants-this' },
    });
    try {
      const response = await fetch(`${misconfigured.url}/v1/chat/completions`, jsonPost({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'x' }] }));
      seen.push(await response.text());
      seen.push(misconfigured.logs());
    } finally {
      await misconfigured.close();
    }

    await stack.gateway.requestLog.flush();
    const stored = readFileSync(stack.catalog.config.store.sqlite).toString('latin1');
    const everything = [...seen, stack.logs(), stored].join('\n');
    assert.ok(seen.length >= 8);
    for (const [name, canary] of Object.entries(CANARIES)) assert.ok(!everything.includes(canary), `${name} secret leaked`);
  });
});
