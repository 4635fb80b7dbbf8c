// Agent sessions across two gateway replicas on one PostgreSQL schema: a client follows a session's events on one
// replica while its input goes to the other; the step runs where the message arrived, the tool result is posted to
// the first replica (which resumes the turn there), and the follower sees every event once, in order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { pino } from 'pino';
import { buildCatalog } from '../src/catalog/index.ts';
import { startEmulators } from '../src/emulators/index.ts';
import { startGateway, type RunningGateway } from '../src/server/index.ts';
import { createTestSchema, skipWithoutPostgres, type TestSchema } from '../src/store/test-backends.ts';
import { WAIT_MS, waitFor } from './support/wait-for.ts';

const MASTER_KEY = 'sk-cw-test-master-key-agents-replicas';
const OPENAI_KEY = 'sk-emulator-openai';
const WEATHER_TOOL = { type: 'function' as const, name: 'get_weather', description: 'Weather.', parameters: { type: 'object', properties: {} } };

describe('agent sessions across two replicas on PostgreSQL', { skip: skipWithoutPostgres }, () => {
  let schema: TestSchema;
  let emulators: Awaited<ReturnType<typeof startEmulators>>;
  const gateways: RunningGateway[] = [];

  before(async () => {
    schema = await createTestSchema('agents');
    emulators = await startEmulators({ basePort: 0, only: ['openai'], openai: { apiKeys: [OPENAI_KEY] } });
    const catalog = () =>
      buildCatalog(
        {
          server: { host: '127.0.0.1', port: 0, master_key: MASTER_KEY },
          store: { postgres: schema.url, pool_size: 4 },
          models: [{ id: 'via-openai' }],
          routes: [
            {
              id: 'openai-only',
              model: 'via-openai',
              provider: 'openai',
              endpoint: `${emulators.emulators.openai!.url}/v1`,
              deployment: 'gpt-5.5',
              auth: { type: 'bearer', key: OPENAI_KEY },
              price: { input: 5, cached_input: 0.5, output: 30, currency: 'USD' },
              capabilities: ['streaming', 'tools'],
            },
          ],
        },
        'agents replicas test',
        { env: {} },
      );
    for (let index = 0; index < 2; index += 1) gateways.push(await startGateway({ catalog: catalog(), logger: pino({ level: 'silent' }) }));
  });

  after(async () => {
    for (const gateway of gateways) await gateway.close();
    await emulators?.close();
    await schema?.drop();
  });

  it('streams on one replica the events of a turn run on the other, and resumes the turn where its tool result arrives', async () => {
    const [a, b] = gateways.map((gateway) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0, timeout: 20_000 }).beta.agents);
    assert.ok(a !== undefined && b !== undefined);
    const agent = await a.create({ model: 'via-openai', tools: [WEATHER_TOOL] });
    const session = await b.sessions.create({ agent_id: agent.id, environment: { type: 'none' }, input: 'Hello.' });
    await waitFor('the first turn on replica b', async () => (await a.sessions.retrieve(session.id)).status === 'idle');

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), WAIT_MS);
    const live = await a.sessions.events.stream(session.id, { signal: controller.signal, timeout: WAIT_MS });
    const seen: OpenAI.Beta.Agents.AgentSessionEvent[] = [];
    const reading = (async () => {
      let ended = false;
      for await (const event of live) {
        seen.push(event);
        if (event.type === 'agent.session.requires_action') {
          const call = event.session.required_actions[0];
          assert.ok(call?.type === 'function_call');
          await a.sessions.events.create(session.id, {
            events: [{ type: 'agent.session.input.tool_result', turn_id: call.turn_id, call_id: call.call_id, success: true, output: '22 C' }],
          });
        }
        if (event.type === 'agent.session.turn.completed') ended = true;
        if (event.type === 'agent.session.idle' && ended) break;
      }
    })();
    await b.sessions.events.create(session.id, {
      events: [{ type: 'agent.session.input.message', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Please call get_weather.' }] }] }],
    });
    try {
      await reading;
    } finally {
      clearTimeout(timer);
    }
    const types = seen.map((event) => event.type);
    assert.equal(types[0], 'agent.session.in_progress');
    assert.ok(types.includes('agent.session.requires_action'));
    assert.equal(types.at(-1), 'agent.session.idle');
    assert.equal(new Set(seen.map((event) => event.event_id)).size, seen.length);
    const numbers = seen.map((event) => Number(event.event_id.split('_').at(-1)));
    assert.deepEqual(
      numbers,
      numbers.map((_, index) => (numbers[0] ?? 0) + index),
    );
    const items = await b.sessions.items.list(session.id, { order: 'asc' });
    assert.deepEqual(
      items.data.map((item) => item.type),
      ['message', 'message', 'message', 'function_call', 'function_call_output', 'message'],
    );
  });
});
