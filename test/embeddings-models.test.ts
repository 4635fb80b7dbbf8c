// Embeddings, models and health end to end through the official openai client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startStack, type Stack } from './support/start-stack.ts';

describe('embeddings, models and health', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  it('embeds with the client default (base64) and as floats', async () => {
    const { data: viaBase64, response } = await stack.client.embeddings
      .create({ model: 'text-embedding-3-small', input: ['first text', 'second text'] })
      .withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'azure-embeddings');
    assert.equal(viaBase64.data.length, 2);
    assert.equal(viaBase64.data[0]?.embedding.length, 1536);
    const floats = await stack.client.embeddings.create({ model: 'text-embedding-3-small', input: 'first text', encoding_format: 'float', dimensions: 256 });
    const vector = floats.data[0]?.embedding ?? [];
    assert.equal(vector.length, 256);
    assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-3, 'unit length');
    assert.ok(floats.usage.prompt_tokens > 0);
  });

  it('fails over embeddings to OpenAI', async () => {
    await stack.fault('azure', { status: 503 });
    try {
      const { response } = await stack.client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).withResponse();
      assert.equal(response.headers.get('x-crossway-route'), 'openai-embeddings');
    } finally {
      await stack.clearFaults();
    }
  });

  it('refuses a chat model on /v1/embeddings', async () => {
    await assert.rejects(stack.client.embeddings.create({ model: 'gpt-5.5', input: 'x' }), OpenAI.BadRequestError);
  });

  it('lists models and aliases, and retrieves one', async () => {
    const ids: string[] = [];
    for await (const model of stack.client.models.list()) ids.push(model.id);
    for (const id of ['gpt-5.5', 'gpt-latest', 'text-embedding-3-small']) assert.ok(ids.includes(id), id);
    const model = await stack.client.models.retrieve('gpt-5.5');
    assert.equal(model.object, 'model');
    assert.equal(model.owned_by, 'openai');
    assert.equal(model.created, Date.parse('2026-04-23') / 1000);
  });

  it('answers /healthz and /readyz without a key', async () => {
    const health = await fetch(`${stack.url}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${stack.url}/readyz`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { checks: Record<string, string> };
    assert.equal(body.checks.store, 'ok');
  });

  it('writes a request log row per model call, off the hot path', async () => {
    await stack.client.chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'log me' }] });
    await stack.gateway.requestLog.flush();
    const [row] = await stack.gateway.store.listRequestLogs({ limit: 1 });
    assert.equal(row?.endpoint, 'chat.completions');
    assert.equal(row?.route, 'openai-only');
    assert.equal(row?.status, 200);
    assert.ok((row?.prompt_tokens ?? 0) > 0);
  });
});
