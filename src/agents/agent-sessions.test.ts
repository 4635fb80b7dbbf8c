// AgentSessions with no gateway in front: each step is a metered model call under the caller's key (its budget
// applies), a turn stops at the step limit, and the event stream a subscriber reads is numbered without gaps.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { createTestServices, emulatorRoute, type TestServices } from '../calls/test-call-services.ts';
import { OPENAI_EMULATOR_API_KEY, OpenAIEmulator } from '../emulators/index.ts';
import { AgentSessions } from './agent-sessions.ts';
import { ConflictError, InvalidRequestError, parseRequest, RateLimitError } from '../wire/index.ts';
import { sessionCreateRequestSchema } from './agent-schemas.ts';

const WEATHER_TOOL = { type: 'function', name: 'get_weather', description: 'Weather.', parameters: { type: 'object', properties: {} } };
const WAIT_MS = 30_000;

describe('AgentSessions', () => {
  const upstream = new OpenAIEmulator();
  let services: TestServices;
  let sessions: AgentSessions;

  before(() => upstream.start());
  after(() => upstream.close());
  beforeEach(async () => {
    services = await createTestServices({
      models: [{ id: 'gpt-5.5' }],
      routes: [emulatorRoute({ url: upstream.url, apiKey: OPENAI_EMULATOR_API_KEY }, 'openai-gpt', 'gpt-5.5', { capabilities: ['streaming', 'tools'] })],
    });
  });
  afterEach(async () => {
    await sessions.close();
    await services.close();
  });

  /** Reads the session's events from the first until `last` says one is the last (bounded by WAIT_MS). */
  async function readEvents(tenant: string, id: string, last: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>[]> {
    const events: Record<string, unknown>[] = [];
    const subscription = sessions.subscribe(tenant, id, 0, AbortSignal.timeout(WAIT_MS), last);
    try {
      for await (const event of subscription.events) events.push(event);
    } finally {
      subscription.close();
    }
    return events;
  }

  const create = (body: Record<string, unknown>) => parseRequest(sessionCreateRequestSchema, { environment: { type: 'none' }, ...body });

  it('meters every step as a model call of the caller, and fails a turn at the step limit with a reason', async () => {
    sessions = new AgentSessions(() => services, pino({ level: 'silent' }), { maxStepsPerTurn: 1 });
    const principal = await services.keyPrincipal({ budget: { limit: '10.00', period: 'total' } });
    const tenant = principal.tenant.id;
    const before = (await services.store.listUsageEvents({ limit: 1000 })).length;
    const session = await sessions.create(principal, create({ agent: { model: 'gpt-5.5', tools: [WEATHER_TOOL] }, input: 'Call get_weather.' }), {});
    const waiting = await readEvents(tenant, session.id, (event) => event.type === 'agent.session.requires_action' || event.type === 'agent.session.idle');
    assert.equal(waiting.at(-1)?.type, 'agent.session.requires_action', JSON.stringify(waiting.at(-2)));
    const paused = waiting.at(-1)?.session as { required_actions: { call_id: string; turn_id: string }[] } | undefined;
    const call = paused?.required_actions[0];
    assert.ok(call !== undefined);
    await sessions.post(
      principal,
      session.id,
      [{ type: 'agent.session.input.tool_result', turn_id: call.turn_id, call_id: call.call_id, success: true, output: 'sunny' }],
      {},
    );
    const events = await readEvents(tenant, session.id, (event) => event.type === 'agent.session.turn.failed');
    const failed = events.at(-1) as { turn: { error: { code: string; message: string } } };
    assert.equal(failed.turn.error.code, 'usage_limit_exceeded');
    assert.match(failed.turn.error.message, /limit of 1 model steps/);
    // Events are numbered 1, 2, ... with no gap, each with its own id.
    assert.deepEqual(
      events.map((event) => Number(String(event.event_id).split('_').at(-1))),
      events.map((_, index) => index + 1),
    );
    // One step ran: one usage event, of this key's tenant.
    const usage = (await services.store.listUsageEvents({ limit: 1000 })).slice(before);
    assert.equal(usage.length, 1);
    assert.equal(usage[0]?.tenant, tenant);
  });

  it("fails a turn when the key's budget is spent, with the budget's reason, and leaves the session idle", async () => {
    sessions = new AgentSessions(() => services, pino({ level: 'silent' }), {});
    const principal = await services.keyPrincipal({ budget: { limit: '0.000001', period: 'total' } });
    const tenant = principal.tenant.id;
    const session = await sessions.create(principal, create({ agent: { model: 'gpt-5.5' }, input: 'Hello.' }), {});
    const events = await readEvents(tenant, session.id, (event) => event.type === 'agent.session.idle');
    const types = events.map((event) => event.type);
    assert.ok(types.includes('agent.session.turn.failed'), types.join(', '));
    const failed = events.find((event) => event.type === 'agent.session.turn.failed') as { turn: { error: { code: string; message: string } } };
    assert.equal(failed.turn.error.code, 'usage_limit_exceeded');
    assert.match(failed.turn.error.message, /budget/i);
    // The documented `error` event follows the failed turn, with the turn's reason in SessionError's shape, then idle.
    assert.deepEqual(types.slice(-3), ['agent.session.turn.failed', 'error', 'agent.session.idle']);
    const error = events.at(-2) as { session_id: string; error: Record<string, unknown> };
    assert.equal(error.session_id, session.id);
    assert.deepEqual(error.error, { code: 'usage_limit_exceeded', message: failed.turn.error.message, param: null, type: 'insufficient_quota' });
    assert.equal((await services.store.getAgentSession(tenant, session.id))?.status, 'idle');
  });

  it('bounds the open event streams per tenant (429 beyond) and gives a place back when a stream closes', async () => {
    sessions = new AgentSessions(() => services, pino({ level: 'silent' }), { maxSubscribersPerTenant: 1 });
    const principal = await services.masterPrincipal();
    const session = await sessions.create(principal, create({ agent: { model: 'gpt-5.5' }, input: 'Hello.' }), {});
    const tenant = principal.tenant.id;
    const first = sessions.subscribe(tenant, session.id, 0, AbortSignal.timeout(WAIT_MS));
    assert.throws(
      () => sessions.subscribe(tenant, session.id, 0, AbortSignal.timeout(WAIT_MS)),
      (error: unknown) => error instanceof RateLimitError && error.status === 429,
    );
    // Another tenant has places of its own.
    const other = await services.keyPrincipal({});
    sessions.subscribe(other.tenant.id, session.id, 0, AbortSignal.timeout(WAIT_MS)).close();
    first.close();
    sessions.subscribe(tenant, session.id, 0, AbortSignal.timeout(WAIT_MS)).close();
  });

  it('ends a stream once its time is up', async () => {
    sessions = new AgentSessions(() => services, pino({ level: 'silent' }), { maxSubscriptionMs: 300, pollMs: 50 });
    const principal = await services.masterPrincipal();
    const session = await sessions.create(principal, create({ agent: { model: 'gpt-5.5' }, input: 'Hello.' }), {});
    const subscription = sessions.subscribe(principal.tenant.id, session.id, 0, AbortSignal.timeout(WAIT_MS));
    const started = Date.now();
    const events: unknown[] = [];
    for await (const event of subscription.events) events.push(event);
    subscription.close();
    // Every event of the session was read, then the stream ended by itself, long before the caller's own deadline.
    assert.ok(events.length >= 2);
    assert.ok(Date.now() - started < WAIT_MS / 2);
  });

  it("keeps a long session within the route's context window by leaving out its oldest items", async () => {
    const small = await createTestServices({
      models: [{ id: 'gpt-5.5' }],
      routes: [emulatorRoute({ url: upstream.url, apiKey: OPENAI_EMULATOR_API_KEY }, 'openai-small', 'gpt-5.5', { limits: { context: 1_000 } })],
    });
    try {
      sessions = new AgentSessions(() => small, pino({ level: 'silent' }), {});
      const principal = await small.masterPrincipal();
      const tenant = principal.tenant.id;
      const session = await sessions.create(principal, create({ agent: { model: 'gpt-5.5' }, input: 'alpha beta gamma delta '.repeat(200) }), {});
      const first = await readEvents(tenant, session.id, (event) => event.type === 'agent.session.idle');
      assert.ok(first.some((event) => event.type === 'agent.session.turn.completed'));
      await sessions.post(
        principal,
        session.id,
        [{ type: 'agent.session.input.message', input: [{ role: 'user', content: [{ type: 'input_text', text: 'one two three '.repeat(100) }] }] }],
        {},
      );
      const subscription = sessions.subscribe(tenant, session.id, first.length, AbortSignal.timeout(WAIT_MS), (event) => event.type === 'agent.session.idle');
      const second: Record<string, unknown>[] = [];
      for await (const event of subscription.events) second.push(event);
      subscription.close();
      // Both turns together pass the window: the second completes without the first message.
      assert.ok(
        second.some((event) => event.type === 'agent.session.turn.completed'),
        JSON.stringify(second.find((event) => event.type === 'agent.session.turn.failed')),
      );
      // The first turn's user message was left out; the new one was sent.
      const body = upstream.requests().at(-1)?.body as { messages: { role: string; content: string }[] } | undefined;
      const messages = body?.messages ?? [];
      const userTexts = messages.filter((message) => message.role === 'user').map((message) => message.content);
      assert.equal(userTexts.length, 1);
      assert.match(userTexts[0] ?? '', /^one two three/);
    } finally {
      await sessions.close();
      sessions = new AgentSessions(() => services, pino({ level: 'silent' }), {});
      await small.close();
    }
  });

  it('writes text deltas in shared transactions, in order, each event once', async () => {
    sessions = new AgentSessions(() => services, pino({ level: 'silent' }), {});
    const store = services.store;
    const write = store.writeAgentSession.bind(store);
    let writes = 0;
    store.writeAgentSession = (...args) => {
      writes += 1;
      return write(...args);
    };
    const principal = await services.masterPrincipal();
    const session = await sessions.create(principal, create({ agent: { model: 'gpt-5.5' }, input: 'Tell me a long story. '.repeat(5) }), {});
    const events = await readEvents(principal.tenant.id, session.id, (event) => event.type === 'agent.session.idle');
    const deltas = events.filter((event) => event.type === 'agent.session.turn.output_text.delta');
    const done = events.find((event) => event.type === 'agent.session.turn.output_text.done') as { text: string } | undefined;
    assert.ok(deltas.length >= 10, `${deltas.length} deltas`);
    assert.equal(deltas.map((event) => event.delta).join(''), done?.text);
    // Far fewer writes than events: the deltas were gathered.
    assert.ok(writes < deltas.length / 2, `${writes} writes for ${deltas.length} deltas`);
  });

  it('refuses a message past the items one session keeps, and fails the session once its items reach the bound', async () => {
    sessions = new AgentSessions(() => services, pino({ level: 'silent' }), { maxSessionItems: 3 });
    const principal = await services.masterPrincipal();
    const session = await sessions.create(principal, create({ agent: { model: 'gpt-5.5' }, input: 'Hello.' }), {});
    await readEvents(principal.tenant.id, session.id, (event) => event.type === 'agent.session.idle');
    const message = {
      type: 'agent.session.input.message' as const,
      input: [{ role: 'user' as const, content: [{ type: 'input_text' as const, text: 'More.' }] }],
    };
    // Two items stored (the message and the answer): two more messages do not fit, one does.
    await assert.rejects(sessions.post(principal, session.id, [{ ...message, input: [...message.input, ...message.input] }], {}), (error: unknown) => {
      assert.ok(error instanceof InvalidRequestError);
      assert.equal(error.code, 'session_item_limit_reached');
      return true;
    });
    await sessions.post(principal, session.id, [message], {});
    // Its answer takes the session to 4 items, past the bound: the turn completes, and the session fails for good.
    const events = await readEvents(principal.tenant.id, session.id, (event) => event.type === 'agent.session.failed');
    assert.deepEqual(
      events.slice(-3).map((event) => event.type),
      ['agent.session.turn.completed', 'error', 'agent.session.failed'],
    );
    const failed = events.at(-1)?.session as { status: string; error: string };
    assert.equal(failed.status, 'failed');
    assert.match(failed.error, /holds 4 items, at most 3/);
    assert.equal((events.at(-2)?.error as { code?: string } | undefined)?.code, 'session_budget_exceeded');
    await assert.rejects(sessions.post(principal, session.id, [message], {}), (error: unknown) => {
      assert.ok(error instanceof ConflictError);
      assert.equal(error.code, 'session_failed');
      assert.match(error.message, /failed \(The session holds 4 items/);
      return true;
    });
  });
});
