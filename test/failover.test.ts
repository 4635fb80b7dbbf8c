// Failover, mid-stream failures and client disconnects, with faults injected into the emulators.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startStack, type Stack } from './support/start-stack.ts';
import { WAIT_MS, waitFor } from './support/wait-for.ts';

const HELLO = [{ role: 'user' as const, content: 'Hello' }];

describe('failover', () => {
  let stack: Stack;
  before(async () => {
    // A high threshold keeps routes from being ejected so that each case sees every route; one case lowers it itself.
    stack = await startStack({ execute: { attempt_timeout_ms: 800, outlier: { consecutive_failures: 1000, base_ejection_ms: 60_000 } } });
  });
  afterEach(async () => {
    await stack.clearFaults();
  });
  after(async () => {
    await stack.close();
  });

  for (const status of [429, 500, 503]) {
    it(`Azure answering ${status} -> the request succeeds on OpenAI and the headers say so`, async () => {
      await stack.fault('azure', { status, retry_after_s: 1 });
      const { data, response } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }).withResponse();
      assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5');
      assert.equal(response.headers.get('x-crossway-attempts'), '3');
      assert.equal(data.choices[0]?.finish_reason, 'stop');
    });
  }

  it('an Azure timeout -> OpenAI answers', async () => {
    // Azure would answer after 30 s, beyond the client's 20 s timeout: an answer at all means the gateway did not wait
    // for it (no wall-clock bound, which a loaded machine could overrun): both Azure attempts timed out at 800 ms.
    await stack.fault('azure', { latency_ms: 30_000 });
    const { response } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }).withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5');
    assert.equal(response.headers.get('x-crossway-attempts'), '3');
  });

  it('a streaming request fails over before its first byte', async () => {
    await stack.fault('azure', { status: 503 });
    const { data: stream, response } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO, stream: true }).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5');
    assert.ok(text.length > 0);
  });

  it('a route that drops the connection before answering fails over', async () => {
    await stack.fault('azure', { disconnect_after_chunks: 0 });
    const { response } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }).withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5');
  });

  it('a mid-stream disconnect gives the chunks already produced, then an error event and no [DONE]', async () => {
    await stack.fault('azure', { disconnect_after_chunks: 4 });
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Tell me a long story' }], stream: true }),
      signal: AbortSignal.timeout(WAIT_MS),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-crossway-route'), 'azure-eastus2-gpt-5.5');
    const text = await response.text();
    const events = text.split('\n\n').filter((event) => event.startsWith('data: '));
    assert.ok(events.length >= 3, 'chunks before the failure arrive');
    const last = events.at(-1) ?? '';
    assert.match(last, /"error"/);
    assert.match(last, /azure-eastus2-gpt-5\.5/);
    assert.doesNotMatch(text, /\[DONE\]/);

    // The official client raises the error event as an APIError instead of hanging or ending quietly.
    await stack.fault('azure', { disconnect_after_chunks: 4 });
    const stream = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO, stream: true });
    await assert.rejects(async () => {
      for await (const chunk of stream) void chunk;
    }, OpenAI.APIError);
  });

  it('a client that disconnects mid-stream makes the gateway abort the upstream call', async () => {
    await stack.fault('openai', { chunk_delay_ms: 200 });
    const controller = new AbortController();
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'via-openai', messages: [{ role: 'user', content: 'A slow and long story please' }], stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    // The emulator records the upstream call aborted once the gateway has cut it: waited for, however long it takes.
    await waitFor('the upstream call to be recorded aborted', async () => (await stack.journal('openai')).at(-1)?.outcome === 'aborted', { intervalMs: 50 });
  });

  it('an open circuit skips the failing route without calling it, and none left is a 503', async () => {
    // No cap nor panic: both Azure routes of gpt-5.5 and the single route of via-azure-v1 may be ejected.
    const outlier = { consecutive_failures: 2, base_ejection_ms: 60_000, max_ejection_percent: 100, panic_threshold_percent: 0 };
    const local = await startStack({ execute: { attempt_timeout_ms: 800, outlier } });
    try {
      await local.fault('azure', { status: 503 });
      for (let i = 0; i < 2; i += 1) await local.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO });
      const calls = (await local.journal('azure')).length;
      const { response } = await local.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }).withResponse();
      assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5');
      assert.equal(response.headers.get('x-crossway-attempts'), '1');
      assert.equal((await local.journal('azure')).length, calls, 'the open Azure routes were not called');

      for (let i = 0; i < 2; i += 1) await local.client.chat.completions.create({ model: 'via-azure-v1', messages: HELLO }).catch(() => undefined);
      await assert.rejects(
        local.client.chat.completions.create({ model: 'via-azure-v1', messages: HELLO }),
        (error: unknown) => error instanceof OpenAI.APIError && error.status === 503 && error.code === 'no_route_available',
      );
    } finally {
      await local.close();
    }
  });
});
