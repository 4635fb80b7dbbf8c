// runModelCall through completeChat, with no gateway in front: routing with failover and fallback models, admission
// against a key's budget and TPM, the usage event and the settled (or released) reservations, and the decision.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { OPENAI_EMULATOR_API_KEY, OpenAIEmulator } from '../emulators/index.ts';
import { chatCompletionRequestSchema, CrosswayError, embeddingRequestSchema, parseRequest } from '../wire/index.ts';
import { completeChat, type ChatCall } from './chat-call.ts';
import { createEmbeddings } from './embeddings-call.ts';
import { createTestServices, type CounterOperation, emulatorRoute, type TestServices } from './test-call-services.ts';

/** An OpenAI-wire route to an emulator, serving `model` as the emulator's `gpt-5.5` deployment. */
function routeTo(emulator: OpenAIEmulator, id: string, model: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return emulatorRoute({ url: emulator.url, apiKey: OPENAI_EMULATOR_API_KEY }, id, model, extra);
}

/** A chat call as the HTTP handler hands it to the core: the body parsed once, Crossway's fields beside it. */
function chatCall(body: Record<string, unknown>): ChatCall {
  const { models, crossway, ...request } = parseRequest(chatCompletionRequestSchema, { messages: [{ role: 'user', content: 'Say hello.' }], ...body });
  return { request, fallbackModels: models, preferences: crossway };
}

/** The call's rejection as a CrosswayError. */
async function rejectionOf(promise: Promise<unknown>): Promise<CrosswayError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CrosswayError, `expected a CrosswayError, got ${String(error)}`);
    return error;
  }
  assert.fail('the call succeeded');
}

const budgetOperations = (operations: readonly CounterOperation[]) => operations.filter((operation) => operation.key.startsWith('budget:'));

describe('runModelCall (through completeChat)', () => {
  const primary = new OpenAIEmulator();
  const secondary = new OpenAIEmulator();
  let services: TestServices;

  before(async () => {
    await primary.start();
    await secondary.start();
  });
  after(async () => {
    await primary.close();
    await secondary.close();
  });
  beforeEach(async () => {
    services = await createTestServices({
      // Two passes over the routes at most: enough to see failover, and a failing call ends quickly.
      execute: { max_attempts: 2 },
      models: [{ id: 'gpt-5.5' }, { id: 'unreleased' }, { id: 'via-primary' }, { id: 'via-secondary' }, { id: 'text-embedding-3-small', kind: 'embedding' }],
      routes: [
        routeTo(primary, 'primary-gpt', 'gpt-5.5'),
        routeTo(secondary, 'secondary-gpt', 'gpt-5.5'),
        routeTo(primary, 'primary-only', 'via-primary'),
        routeTo(secondary, 'secondary-only', 'via-secondary'),
        routeTo(secondary, 'secondary-embeddings', 'text-embedding-3-small', { deployment: 'text-embedding-3-small', capabilities: ['embeddings'] }),
        // Planned but never kept: not available before 2099.
        routeTo(secondary, 'unreleased-route', 'unreleased', { available: { from: '2099-01-01' } }),
      ],
    });
  });
  afterEach(async () => {
    await services.close();
    primary.clearFaults();
    secondary.clearFaults();
    primary.clearRequests();
    secondary.clearRequests();
  });

  describe('routing', () => {
    it('fails over from a route that answers 500 to the next, and says so in CallInfo and the decision', async () => {
      primary.setFaults({ status: 500 });
      const context = services.contextFor(await services.masterPrincipal());
      const result = await completeChat(services, context, chatCall({ model: 'gpt-5.5' }));

      assert.equal(result.info.route.id, 'secondary-gpt');
      assert.equal(result.info.attempts, 2);
      assert.equal(result.completion.object, 'chat.completion');
      assert.deepEqual(
        primary.requests().map((entry) => entry.status),
        [500],
      );
      assert.deepEqual(
        secondary.requests().map((entry) => entry.status),
        [200],
      );

      const decision = services.decisions.records.find((record) => record.id === result.info.decisionId);
      assert.ok(decision, 'the decision is recorded under the id CallInfo names');
      assert.equal(decision.model, 'gpt-5.5');
      assert.deepEqual(
        decision.kept.map((kept) => kept.route),
        ['primary-gpt', 'secondary-gpt'],
      );
      assert.deepEqual(
        decision.attempts.map(({ route, status }) => ({ route, status })),
        [
          { route: 'primary-gpt', status: 500 },
          { route: 'secondary-gpt', status: 200 },
        ],
      );
      assert.notEqual(decision.attempts[0]?.error, null);
      assert.equal(decision.attempts[1]?.error, null);

      const events = await services.usageEventsOf(context.requestId);
      assert.deepEqual(
        events.map((event) => [event.route, event.status]),
        [['secondary-gpt', 200]],
      );
    });

    it('moves to the next fallback model when the first has no route that may serve', async () => {
      const context = services.contextFor(await services.masterPrincipal());
      const result = await completeChat(services, context, chatCall({ model: 'unreleased', models: ['gpt-5.5'] }));

      assert.equal(result.info.route.id, 'primary-gpt');
      assert.equal(result.info.attempts, 1);
      // Nothing went to the unreleased model's route (on the secondary emulator).
      assert.equal(secondary.requests().length, 0);
      const decision = services.decisions.records.find((record) => record.id === result.info.decisionId);
      assert.equal(decision?.model, 'gpt-5.5');
      assert.deepEqual(
        decision?.attempts.map((attempt) => attempt.route),
        ['primary-gpt'],
      );
      const [event] = await services.usageEventsOf(context.requestId);
      assert.equal(event?.model, 'gpt-5.5', 'the usage event names the model that served');
    });

    it('moves to the next fallback model when every route of the first fails, the decision listing every attempt', async () => {
      primary.setFaults({ status: 500 });
      const context = services.contextFor(await services.masterPrincipal());
      const result = await completeChat(services, context, chatCall({ model: 'via-primary', models: ['via-secondary'] }));

      assert.equal(result.info.route.id, 'secondary-only');
      const decision = services.decisions.records.find((record) => record.id === result.info.decisionId);
      assert.equal(decision?.model, 'via-secondary');
      const attempts = decision?.attempts ?? [];
      assert.ok(attempts.length >= 2);
      assert.ok(attempts.slice(0, -1).every((attempt) => attempt.route === 'primary-only' && attempt.status === 500));
      assert.deepEqual(attempts.at(-1), { ...attempts.at(-1), route: 'secondary-only', status: 200, error: null });
      const [event] = await services.usageEventsOf(context.requestId);
      assert.deepEqual([event?.model, event?.route], ['via-secondary', 'secondary-only']);
    });

    it('answers the empty plan when no model of the list has a route, recording the decision without attempts', async () => {
      const context = services.contextFor(await services.masterPrincipal());
      const error = await rejectionOf(completeChat(services, context, chatCall({ model: 'unreleased' })));

      assert.ok(error.status >= 400);
      const decision = services.decisions.records.find((record) => record.id === error.decisionId);
      assert.equal(decision?.model, 'unreleased');
      assert.deepEqual(
        decision?.rejected.map((rejected) => rejected.route),
        ['unreleased-route'],
      );
      assert.deepEqual(decision?.attempts, []);
      assert.deepEqual(await services.usageEventsOf(context.requestId), []);
    });
  });

  describe('admission and settlement', () => {
    it('admits a key within its budget and TPM, records one usage event and settles both reservations to it', async () => {
      const principal = await services.keyPrincipal({ tpm: 100_000, budget: { limit: '10.00', period: 'total' } });
      const context = services.contextFor(principal);
      const result = await completeChat(services, context, chatCall({ model: 'gpt-5.5', max_completion_tokens: 50 }));

      const events = await services.usageEventsOf(context.requestId);
      assert.equal(events.length, 1);
      const event = events[0]!;
      assert.equal(event.key_id, principal.key?.id);
      assert.equal(event.tenant, principal.tenant.id);
      assert.equal(event.status, 200);
      assert.equal(event.input_tokens, result.completion.usage?.prompt_tokens);
      assert.equal(event.output_tokens, result.completion.usage?.completion_tokens);
      assert.ok(event.charged > 0n);
      assert.equal(result.info.rateLimits['x-ratelimit-limit-tokens'], '100000');

      // The budget: the worst case reserved, then settled to what the ledger charged; nothing left outstanding.
      const [reserve, settle, ...rest] = budgetOperations(services.counters.operations);
      assert.equal(reserve?.op, 'reserve');
      assert.ok(reserve.op === 'reserve' && reserve.ok && reserve.amount >= event.charged);
      assert.deepEqual(settle, { op: 'settle', key: reserve.key, reserved: reserve.amount, actual: event.charged });
      assert.deepEqual(rest, []);
      assert.deepEqual(await services.counters.budget(reserve.key), { spent: event.charged, reserved: 0n });

      // The token rate: the estimate taken, then corrected to the tokens the call used.
      const tokenOperations = services.counters.operations.filter((operation) => operation.key.startsWith('tpm:'));
      const take = tokenOperations[0];
      assert.ok(take?.op === 'take' && take.allowed);
      assert.deepEqual(tokenOperations.slice(1), [{ op: 'adjust', key: take.key, amount: take.cost - (event.input_tokens + event.output_tokens) }]);
    });

    it('gives the reservations back and records no usage when every route fails after admission', async () => {
      primary.setFaults({ status: 500 });
      secondary.setFaults({ status: 503 });
      const principal = await services.keyPrincipal({ tpm: 100_000, budget: { limit: '10.00', period: 'total' } });
      const context = services.contextFor(principal);
      const error = await rejectionOf(completeChat(services, context, chatCall({ model: 'gpt-5.5' })));

      assert.ok(error.status >= 500, `status ${error.status}`);
      assert.ok(primary.requests().length >= 1 && secondary.requests().length >= 1, 'both routes were tried');
      assert.deepEqual(await services.usageEventsOf(context.requestId), []);
      const [reserve, release, ...rest] = budgetOperations(services.counters.operations);
      assert.ok(reserve?.op === 'reserve' && reserve.ok);
      assert.deepEqual(release, { op: 'release', key: reserve.key, reserved: reserve.amount });
      assert.deepEqual(rest, []);
      assert.deepEqual(await services.counters.budget(reserve.key), { spent: 0n, reserved: 0n });
      const tokenOperations = services.counters.operations.filter((operation) => operation.key.startsWith('tpm:'));
      assert.ok(tokenOperations[0]?.op === 'take');
      assert.deepEqual(tokenOperations.slice(1), [{ op: 'adjust', key: tokenOperations[0].key, amount: tokenOperations[0].cost }]);

      const decision = services.decisions.records.find((record) => record.id === error.decisionId);
      assert.ok(decision !== undefined && decision.attempts.length >= 2);
      assert.ok(decision.attempts.every((attempt) => attempt.status >= 500));
    });

    it('refuses with 429 insufficient_quota before any upstream call when the budget cannot cover the worst case', async () => {
      const principal = await services.keyPrincipal({ budget: { limit: '0.001', period: 'total' } });
      const context = services.contextFor(principal);
      const error = await rejectionOf(completeChat(services, context, chatCall({ model: 'gpt-5.5', max_completion_tokens: 1000 })));

      assert.equal(error.status, 429);
      assert.equal(error.code, 'insufficient_quota');
      assert.equal(primary.requests().length + secondary.requests().length, 0);
      assert.deepEqual(await services.usageEventsOf(context.requestId), []);
      const [reserve, ...rest] = budgetOperations(services.counters.operations);
      assert.ok(reserve?.op === 'reserve' && !reserve.ok);
      assert.deepEqual(rest, []);
      assert.deepEqual(await services.counters.budget(reserve.key), { spent: 0n, reserved: 0n });
      assert.ok(services.decisions.records.some((record) => record.id === error.decisionId));
    });

    it('meters an embeddings call by its input tokens and settles the budget to it', async () => {
      const principal = await services.keyPrincipal({ budget: { limit: '10.00', period: 'total' } });
      const context = services.contextFor(principal);
      const request = parseRequest(embeddingRequestSchema, { model: 'text-embedding-3-small', input: ['one sentence', 'and another'] });
      const result = await createEmbeddings(services, context, { request });

      assert.equal(result.response.data.length, 2);
      const [event, ...others] = await services.usageEventsOf(context.requestId);
      assert.deepEqual(others, []);
      assert.deepEqual(
        [event?.endpoint, event?.route, event?.input_tokens, event?.output_tokens],
        ['embeddings', 'secondary-embeddings', result.response.usage.prompt_tokens, 0],
      );
      const [reserve, settle] = budgetOperations(services.counters.operations);
      assert.ok(reserve?.op === 'reserve');
      assert.deepEqual(settle, { op: 'settle', key: reserve.key, reserved: reserve.amount, actual: event?.charged });
    });

    it('refuses with 429 rate_limit_exceeded a request larger than the key TPM, taking nothing', async () => {
      const principal = await services.keyPrincipal({ tpm: 100 });
      const context = services.contextFor(principal);
      const error = await rejectionOf(completeChat(services, context, chatCall({ model: 'gpt-5.5', max_completion_tokens: 1000 })));

      assert.equal(error.status, 429);
      assert.equal(error.code, 'rate_limit_exceeded');
      assert.equal(primary.requests().length + secondary.requests().length, 0);
      assert.deepEqual(
        services.counters.operations.map((operation) => operation.op),
        ['take'],
      );
    });
  });
});
