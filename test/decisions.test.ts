// GET /v1/crossway/decisions/{id} end to end: a gateway on port 0 with the emulators, read over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDecisionId, type DecisionLog } from '../src/calls/index.ts';
import type { DecisionRecord } from '../src/store/index.ts';
import { startStack, type Stack } from './support/start-stack.ts';

describe('GET /v1/crossway/decisions/{id}', () => {
  let stack: Stack;
  let decisions: DecisionLog;

  before(async () => {
    stack = await startStack();
    decisions = stack.gateway.decisions;
  });
  after(() => stack.close());

  const getDecision = (id: string, key: string | null = stack.masterKey) =>
    fetch(`${stack.url}/v1/crossway/decisions/${encodeURIComponent(id)}`, {
      headers: key === null ? {} : { authorization: `Bearer ${key}` },
    });

  const sample = (id: string): DecisionRecord => ({
    id,
    model: 'gpt-5.5',
    at: new Date().toISOString(),
    constraints: { regions: ['us'] },
    kept: [{ route: 'azure-eastus2-gpt-5.5', provider: 'azure', region: 'eastus2', rank: 1, basis: 'catalog order' }],
    rejected: [
      {
        route: 'azure-swedencentral-gpt-5.5',
        provider: 'azure',
        region: 'swedencentral',
        reasons: [{ code: 'region', detail: 'swedencentral is outside us' }],
      },
    ],
    attempts: [{ route: 'azure-eastus2-gpt-5.5', status: 200, latency_ms: 40, error: null }],
  });

  it('answers 404 in OpenAI shape for an unknown id', async () => {
    const response = await getDecision('dec_00000000000000000000000000000000');
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const body = (await response.json()) as { error: Record<string, unknown> };
    assert.equal(body.error.code, 'decision_not_found');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(body.error.param, null);
    assert.match(String(body.error.message), /dec_0{32}/);
  });

  it('needs a valid key', async () => {
    assert.equal((await getDecision('dec_x', null)).status, 401);
    assert.equal((await getDecision('dec_x', 'sk-wrong-key-000000')).status, 401);
  });

  it('serves a decision right after it was recorded, before and after it is flushed', async () => {
    const record = sample(createDecisionId());
    decisions.record(record);
    const early = await getDecision(record.id);
    assert.equal(early.status, 200);
    assert.deepEqual(await early.json(), record);
    await decisions.flush();
    assert.deepEqual(await stack.gateway.store.getDecision(record.id), record);
    assert.deepEqual(await (await getDecision(record.id)).json(), record);
  });

  it('answers 404 once a decision is pruned', async () => {
    const record = sample(createDecisionId());
    decisions.record(record);
    await decisions.flush();
    await stack.gateway.store.pruneDecisions(new Date(Date.now() + 60_000).toISOString());
    assert.equal((await getDecision(record.id)).status, 404);
  });

  it('serves the decision behind a chat response', async () => {
    const { response } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'which route?' }] }).withResponse();
    const id = response.headers.get('x-crossway-decision') ?? '';
    assert.match(id, /^dec_[0-9a-f]{32}$/);
    // Read at once: the decision may still be queued for its batch.
    const decision = (await (await getDecision(id)).json()) as DecisionRecord;
    assert.equal(decision.id, id);
    assert.ok(decision.kept.length > 0);
    assert.equal(decision.model, 'gpt-5.5');
    assert.equal(decision.kept[0]?.route, response.headers.get('x-crossway-route'));
    assert.equal(decision.attempts.at(-1)?.route, response.headers.get('x-crossway-route'));
    assert.equal(decision.attempts.at(-1)?.status, 200);
    assert.equal(decision.attempts.at(-1)?.error, null);
  });
});
