// Responses turns with no gateway in front: prepareTurn + runTurn (or streamTurn) + persistTurn store a turn, a
// second turn with previous_response_id sends the first turn's items upstream, and store: false keeps nothing.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { createTestServices, emulatorRoute, type TestServices } from '../calls/test-call-services.ts';
import { OPENAI_EMULATOR_API_KEY, OpenAIEmulator } from '../emulators/index.ts';
import { CrosswayError, parseRequest, type ResponseStreamEvent, responseCreateRequestSchema } from '../wire/index.ts';
import { persistTurn } from './persist-turn.ts';
import { prepareTurn } from './prepare-turn.ts';
import { runTurn, streamTurn } from './run-response-turn.ts';

/** The chat messages a recorded upstream request carried, as (role, text) pairs. */
function sentMessages(body: unknown): [string, string][] {
  const messages = (body as { messages: { role: string; content: unknown }[] }).messages;
  return messages.map(({ role, content }) => [
    role,
    typeof content === 'string' ? content : (content as { text?: string }[]).map((part) => part.text ?? '').join(''),
  ]);
}

/** The output text of a Response's message items. */
function outputText(output: readonly unknown[]): string {
  return (output as { type: string; content?: { text?: string }[] }[])
    .filter((item) => item.type === 'message')
    .flatMap((item) => item.content ?? [])
    .map((part) => part.text ?? '')
    .join('');
}

describe('Responses turns', () => {
  const upstream = new OpenAIEmulator();
  let services: TestServices;
  let tenant: string;

  before(() => upstream.start());
  after(() => upstream.close());
  beforeEach(async () => {
    services = await createTestServices({
      models: [{ id: 'gpt-5.5' }],
      routes: [emulatorRoute({ url: upstream.url, apiKey: OPENAI_EMULATOR_API_KEY }, 'openai-gpt')],
    });
    tenant = (await services.masterPrincipal()).tenant.id;
  });
  afterEach(async () => {
    await services.close();
    upstream.clearRequests();
  });

  /** One foreground turn, as the handler runs it without streaming: prepared, run, persisted. */
  async function runStoredTurn(body: Record<string, unknown>) {
    const context = services.contextFor(await services.masterPrincipal());
    const turn = await prepareTurn(services, tenant, parseRequest(responseCreateRequestSchema, { model: 'gpt-5.5', ...body }));
    const result = await runTurn(services, context, turn);
    await persistTurn(services, tenant, turn, result);
    return { context, turn, result };
  }

  it('stores a turn, and a turn continuing it with previous_response_id sends its items upstream', async () => {
    const first = await runStoredTurn({ input: 'My name is Ada. Remember it.' });
    assert.equal(first.result.response.status, 'completed');
    const firstAnswer = outputText(first.result.output);
    assert.ok(firstAnswer.length > 0);

    const stored = await services.store.getResponse(tenant, first.turn.id);
    assert.equal(stored?.status, 'completed');
    assert.equal(stored?.route, 'openai-gpt');
    const [event] = await services.usageEventsOf(first.context.requestId);
    assert.equal(event?.endpoint, 'responses');
    assert.equal(stored?.usage_event_id, event?.id);
    assert.deepEqual(
      (await services.store.listResponseItems(tenant, first.turn.id, 'input', { limit: 10, order: 'asc' }))?.map((row) => row.item_id),
      first.turn.inputItems.map((item) => item.id),
    );

    const second = await runStoredTurn({ input: 'What is my name?', previous_response_id: first.turn.id });
    assert.equal(second.result.response.previous_response_id, first.turn.id);
    const expected: [string, string][] = [
      ['user', 'My name is Ada. Remember it.'],
      ['assistant', firstAnswer],
      ['user', 'What is my name?'],
    ];
    assert.deepEqual(sentMessages(upstream.requests().at(-1)?.body), expected);

    // Read from the store rather than the chain cache: the same context.
    services.chainCache.clear();
    await runStoredTurn({ input: 'What is my name?', previous_response_id: first.turn.id });
    assert.deepEqual(sentMessages(upstream.requests().at(-1)?.body), expected);

    // The chain now runs through the second turn.
    const chain = await services.store.readResponseChain(tenant, second.turn.id);
    assert.equal(chain?.items.length, 4);
  });

  it('keeps nothing of a turn with store: false, which a later turn therefore cannot continue', async () => {
    const { turn, context } = await runStoredTurn({ input: 'Forget this.', store: false });
    assert.equal(await services.store.getResponse(tenant, turn.id), null);
    assert.equal((await services.usageEventsOf(context.requestId)).length, 1, 'it is metered all the same');

    const refused = await prepareTurn(
      services,
      tenant,
      parseRequest(responseCreateRequestSchema, { model: 'gpt-5.5', input: 'And now?', previous_response_id: turn.id }),
    ).then(
      () => null,
      (error: unknown) => error,
    );
    assert.ok(refused instanceof CrosswayError);
    assert.equal(refused.status, 404);
    assert.equal(refused.code, 'previous_response_not_found');
  });

  it('streams a turn: created first, the final event only after the usage and the stored turn', async () => {
    const context = services.contextFor(await services.masterPrincipal());
    const turn = await prepareTurn(
      services,
      tenant,
      parseRequest(responseCreateRequestSchema, { model: 'gpt-5.5', input: 'Stream me a haiku.', stream: true }),
    );
    const events: ResponseStreamEvent[] = [];
    let storedAtFinal: string | null = null;
    let routeStarted: string | null = null;
    const result = await streamTurn(
      services,
      context,
      turn,
      {
        started: (info) => {
          routeStarted = info.route.id;
        },
        event: async (event) => {
          if (event.type === 'response.completed') {
            storedAtFinal = (await services.store.getResponse(tenant, turn.id))?.usage_event_id ?? null;
          }
          events.push(event);
        },
      },
      (ran) => persistTurn(services, tenant, turn, ran),
    );

    assert.equal(routeStarted, 'openai-gpt');
    assert.equal(events[0]?.type, 'response.created');
    assert.equal(events.at(-1)?.type, 'response.completed');
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_event, index) => index),
    );
    const [event] = await services.usageEventsOf(context.requestId);
    assert.ok(event !== undefined);
    assert.equal(result.usageEventId, event.id);
    assert.equal(storedAtFinal, event.id, 'the turn was stored, with its committed usage event, before response.completed');
  });
});
