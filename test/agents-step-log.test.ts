// Agent session steps in the request log and the decisions, through the official client: one request-log row per
// model step (the session's id, model, route, tokens; its usage event, with the cost, under the same request id), and
// each turn listing its steps' routing decisions in `crossway.decision_ids`, each one readable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

const MODEL = 'via-azure-v1';
const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('agent session steps in the request log and decisions', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());
  const idle = (id: string) => waitFor(`session ${id} idle`, async () => (await stack.client.beta.agents.sessions.retrieve(id)).status === 'idle');

  it('writes one row per model step with the session id, and lists each turn’s decisions', async () => {
    const agents = stack.client.beta.agents;
    const session = await agents.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL, tools: [WEATHER_TOOL] }, input: 'Hello.' });
    await idle(session.id);
    for await (const event of agents.sessions.stream(session.id, {
      input: 'Please call get_weather for Paris.',
      toolHandlers: { get_weather: async () => 'sunny' },
    }))
      void event;

    const turns = await agents.sessions.turns.list(session.id, { order: 'asc' });
    assert.deepEqual(
      turns.data.map((turn) => turn.status),
      ['completed', 'completed'],
    );
    // The first turn took one step, the second two (the tool call, then the answer with its result).
    const decisions = turns.data.map((turn) => (turn as unknown as { crossway?: { decision_ids?: string[] } }).crossway?.decision_ids ?? []);
    assert.deepEqual(
      decisions.map((ids) => ids.length),
      [1, 2],
    );
    for (const id of decisions.flat()) {
      const decision = await stack.api('GET', `/v1/crossway/decisions/${id}`);
      assert.equal(decision.status, 200, JSON.stringify(decision.body));
      assert.match(JSON.stringify(decision.body), /azure/);
    }
    // The turn read alone carries them too, and the client's parsing is unharmed.
    const second = await agents.sessions.turns.retrieve(turns.data[1]?.id ?? '', { session_id: session.id });
    assert.deepEqual((second as unknown as { crossway: { decision_ids: string[] } }).crossway.decision_ids, decisions[1]);

    await stack.gateway.requestLog.flush();
    const rows = (await stack.gateway.store.listRequestLogs({ limit: 100 })).filter((row) => row.session_id === session.id);
    assert.equal(rows.length, 3, JSON.stringify(rows));
    const usage = await stack.gateway.store.listUsageEvents({ limit: 1_000 });
    for (const row of rows) {
      assert.equal(row.endpoint, 'agents.sessions.step');
      assert.equal(row.model, MODEL);
      assert.match(row.route ?? '', /azure/);
      assert.equal(row.status, 200);
      assert.equal(row.attempts, 1);
      // Like every request-log row: its tenant, the provider, and its decision (one of its turn's).
      assert.equal(row.tenant_id, 'default');
      assert.equal(row.provider, 'azure');
      assert.ok(decisions.flat().includes(row.decision_id ?? ''), JSON.stringify(row));
      assert.ok((row.prompt_tokens ?? 0) > 0 && (row.completion_tokens ?? 0) > 0, JSON.stringify(row));
      // The step's usage event (tokens, cost) is under the row's id.
      const event = usage.find((candidate) => candidate.request_id === row.id);
      assert.ok(event !== undefined, row.id);
      assert.equal(event.input_tokens, row.prompt_tokens);
      assert.ok(event.cost > 0n);
    }
    // Rows of other requests carry no session.
    assert.ok((await stack.gateway.store.listRequestLogs({ limit: 100 })).every((row) => row.session_id === undefined || row.session_id === session.id));
  });

  it('logs a failed step with its error and keeps its decision on the failed turn', async () => {
    const agents = stack.client.beta.agents;
    const session = await agents.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL }, input: 'Hello.' });
    await idle(session.id);
    await stack.fault('azure', { status: 500 });
    try {
      for await (const event of agents.sessions.stream(session.id, { input: 'This fails.' })) void event;
    } finally {
      await stack.clearFaults();
    }
    const turns = await agents.sessions.turns.list(session.id, { order: 'asc' });
    const failed = turns.data.at(-1) as unknown as { status: string; crossway: { decision_ids: string[] } };
    assert.equal(failed.status, 'failed');
    assert.equal(failed.crossway.decision_ids.length, 1);
    await stack.gateway.requestLog.flush();
    const rows = (await stack.gateway.store.listRequestLogs({ limit: 100 })).filter((row) => row.session_id === session.id);
    assert.equal(rows.length, 2);
    const [last] = rows;
    assert.ok(last !== undefined && last.status >= 500, JSON.stringify(last));
    assert.ok(last.error_code !== null);
    assert.ok(last.attempts >= 1);
  });
});
