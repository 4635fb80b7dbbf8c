// streamChat with no gateway in front: the usage committed before the bytes that end the stream, and a stream cut
// short (the client went away, its sink failed, or the cloud broke off) metered for what was delivered, with the
// reservations settled rather than leaked.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { waitFor } from '../../test/support/wait-for.ts';
import { OPENAI_EMULATOR_API_KEY, OpenAIEmulator } from '../emulators/index.ts';
import { chatCompletionRequestSchema, ClientClosedError, parseRequest } from '../wire/index.ts';
import { type ByteStreamSink, type ChatCall, streamChat } from './chat-call.ts';
import type { CallInfo } from './run-model-call.ts';
import { createTestServices, emulatorRoute, type TestServices } from './test-call-services.ts';

/** Long enough that a stream paced by it never sends its second chunk while a test runs: it is cut first. */
const HELD_MS = 600_000;

function routeTo(emulator: OpenAIEmulator, id: string): Record<string, unknown> {
  return emulatorRoute({ url: emulator.url, apiKey: OPENAI_EMULATOR_API_KEY }, id);
}

function streamingCall(body: Record<string, unknown> = {}): ChatCall {
  const { models, crossway, ...request } = parseRequest(chatCompletionRequestSchema, {
    model: 'gpt-5.5',
    messages: [{ role: 'user', content: 'Tell me a short story about a lighthouse.' }],
    stream: true,
    max_completion_tokens: 60,
    ...body,
  });
  return { request, fallbackModels: models, preferences: crossway };
}

/** A sink that keeps what it was given, and runs `onWrite` (awaited, as backpressure) on each write. */
function recordingSink(onWrite: (text: string, index: number) => Promise<void> | void = () => {}) {
  const writes: string[] = [];
  let info: CallInfo | null = null;
  const sink: ByteStreamSink = {
    started(started) {
      assert.equal(info, null, 'started is called once');
      info = started;
    },
    async write(bytes) {
      const text = Buffer.from(bytes).toString('utf8');
      writes.push(text);
      await onWrite(text, writes.length - 1);
    },
  };
  return { sink, writes, info: () => info };
}

describe('streamChat', () => {
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
    services = await createTestServices({ models: [{ id: 'gpt-5.5' }], routes: [routeTo(primary, 'primary-gpt'), routeTo(secondary, 'secondary-gpt')] });
  });
  afterEach(async () => {
    await services.close();
    primary.clearFaults();
    primary.clearRequests();
    secondary.clearRequests();
  });

  it('commits the usage event before it writes the bytes that end the stream', async () => {
    const principal = await services.keyPrincipal({ budget: { limit: '10.00', period: 'total' } });
    const context = services.contextFor(principal);
    // What the ledger holds at each write, read while the stream waits on the write.
    const eventsAtWrite: number[] = [];
    const { sink, writes, info } = recordingSink(async () => {
      eventsAtWrite.push((await services.usageEventsOf(context.requestId)).length);
    });
    const ended = await streamChat(services, context, streamingCall(), sink);

    assert.equal(ended.error, null);
    assert.equal(info()?.route.id, 'primary-gpt');
    const doneAt = writes.findIndex((text) => text.includes('data: [DONE]'));
    assert.equal(doneAt, writes.length - 1, 'the [DONE] event comes last');
    assert.equal(eventsAtWrite[doneAt], 1, 'the usage event was committed when [DONE] was written');
    assert.ok(writes.join('').includes('"content"'), 'the answer was streamed');

    const [event] = await services.usageEventsOf(context.requestId);
    assert.equal(event?.status, 200);
    assert.equal(event?.estimated, false);
    assert.equal(event?.output_tokens, ended.usage?.completion_tokens);
    const budget = services.counters.operations.filter((operation) => operation.key.startsWith('budget:'));
    assert.deepEqual(
      budget.map((operation) => operation.op),
      ['reserve', 'settle'],
    );
    assert.deepEqual(await services.counters.budget(budget[0]!.key), { spent: event?.charged, reserved: 0n });
  });

  // The cloud sends its first chunk, then holds the rest: the client leaves while the stream is surely unfinished.
  const cutShort = [
    {
      name: 'the call is abandoned (its signal aborts) after the first bytes',
      cut: (controller: AbortController) => () => controller.abort(),
    },
    {
      name: "the sink's write rejects as the client went away",
      cut: () => () => Promise.reject(new ClientClosedError()),
    },
  ];
  for (const { name, cut } of cutShort) {
    it(`meters a stream cut short when ${name} with status 499, settles the budget and aborts the upstream call`, async () => {
      primary.setFaults({ chunk_delay_ms: HELD_MS });
      const principal = await services.keyPrincipal({ tpm: 100_000, budget: { limit: '10.00', period: 'total' } });
      const controller = new AbortController();
      const context = services.contextFor(principal, controller.signal);
      const { sink, writes } = recordingSink(cut(controller));
      const ended = await streamChat(services, context, streamingCall(), sink);

      assert.ok(ended.error instanceof ClientClosedError, `ended with ${String(ended.error)}`);
      assert.equal(writes.length, 1);
      const events = await services.usageEventsOf(context.requestId);
      assert.equal(events.length, 1);
      const event = events[0]!;
      assert.equal(event.status, 499);
      assert.equal(event.estimated, true, 'the cloud had not reported usage yet: the delivered tokens were counted');
      assert.ok(event.input_tokens > 0);
      assert.ok(event.charged > 0n);

      const budget = services.counters.operations.filter((operation) => operation.key.startsWith('budget:'));
      const reserve = budget[0];
      assert.ok(reserve?.op === 'reserve' && reserve.ok);
      assert.deepEqual(budget.slice(1), [{ op: 'settle', key: reserve.key, reserved: reserve.amount, actual: event.charged }]);
      assert.deepEqual(await services.counters.budget(reserve.key), { spent: event.charged, reserved: 0n });
      const tokens = services.counters.operations.filter((operation) => operation.key.startsWith('tpm:'));
      assert.deepEqual(
        tokens.map((operation) => operation.op),
        ['take', 'adjust'],
      );

      const upstream = await waitFor('the upstream call to be aborted', () => primary.requests().find((entry) => entry.outcome !== null));
      assert.equal(upstream.outcome, 'aborted');
      assert.equal(secondary.requests().length, 0, 'no failover once bytes reached the client');
    });
  }

  it('rejects a call abandoned before its first bytes, with no usage, the reservations released and the upstream call aborted', async () => {
    primary.setFaults({ latency_ms: HELD_MS });
    const principal = await services.keyPrincipal({ tpm: 100_000, budget: { limit: '10.00', period: 'total' } });
    const controller = new AbortController();
    const context = services.contextFor(principal, controller.signal);
    const { sink, info } = recordingSink();
    const call = streamChat(services, context, streamingCall(), sink).then(
      () => null,
      (error: unknown) => error,
    );
    await waitFor('the call to reach its upstream', () => primary.requests().length === 1);
    controller.abort();

    const error = await call;
    assert.ok(error instanceof ClientClosedError, `rejected with ${String(error)}`);
    assert.equal(info(), null, 'the sink never started');
    assert.deepEqual(await services.usageEventsOf(context.requestId), []);
    const budget = services.counters.operations.filter((operation) => operation.key.startsWith('budget:'));
    const reserve = budget[0];
    assert.ok(reserve?.op === 'reserve' && reserve.ok);
    assert.deepEqual(budget.slice(1), [{ op: 'release', key: reserve.key, reserved: reserve.amount }]);
    assert.deepEqual(await services.counters.budget(reserve.key), { spent: 0n, reserved: 0n });
    const upstream = await waitFor('the upstream call to end', () => primary.requests().find((entry) => entry.outcome !== null));
    assert.equal(upstream.outcome, 'aborted');
    assert.equal(secondary.requests().length, 0, 'an abandoned call does not fail over');
  });

  it('ends a stream the cloud breaks off after its first bytes with the error, without failover, metered as delivered', async () => {
    primary.setFaults({ disconnect_after_chunks: 2 });
    const context = services.contextFor(await services.masterPrincipal());
    const { sink, writes } = recordingSink();
    const ended = await streamChat(services, context, streamingCall(), sink);

    assert.ok(ended.error !== null && ended.error.status >= 500, `ended with ${String(ended.error)}`);
    assert.ok(writes.length >= 1);
    assert.ok(!writes.join('').includes('[DONE]'));
    assert.equal(secondary.requests().length, 0);
    const [event] = await services.usageEventsOf(context.requestId);
    assert.equal(event?.status, ended.error.status);
    assert.equal(event?.estimated, true);
  });
});
