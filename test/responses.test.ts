// The Responses API end to end with the official openai client: multi-turn through previous_response_id (the
// emulator's reply proves the earlier turns reached the model), streaming events, a function-call round trip,
// retrieve / delete / input_items, store: false, background + cancel, and usage metered into the ledger.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { HELD_MODEL, heldRoute, startHeldUpstream, type HeldUpstream } from './support/start-held-upstream.ts';
import { AZURE_KEY, DEFAULT_MODELS, OPENAI_KEY, defaultRoutes, startStack, type Stack } from './support/start-stack.ts';
import { WAIT_MS } from './support/wait-for.ts';

const MODEL = 'via-azure-v1';

describe('POST /v1/responses and stored responses', () => {
  let stack: Stack;
  // The upstream of model 'via-held': it holds every call, so that a background job is surely still running when the
  // test cancels it, however slow the machine.
  let held: HeldUpstream;
  before(async () => {
    held = await startHeldUpstream();
    stack = await startStack({
      routes: (urls) => [...defaultRoutes(urls, { openai: OPENAI_KEY, azure: AZURE_KEY }), heldRoute(held.url)],
      models: [...DEFAULT_MODELS, HELD_MODEL],
    });
  });
  beforeEach(() => stack.clearFaults());
  after(async () => {
    await stack.close();
    await held.close();
  });

  const lastUpstreamMessages = async (): Promise<Array<{ role: string; content: unknown }>> => {
    const entries = (await stack.journal('azure')).filter((entry) => entry.path.includes('chat/completions'));
    return (entries.at(-1)?.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  };

  /**
   * Follows a background response's event stream (after sequence number `startingAfter`) until the gateway ends it,
   * which it does once the job is over and its result stored: waiting on the job itself, not on a number of polls. The
   * deadline (WAIT_MS) only ends a broken run.
   */
  const followToEnd = async (id: string, startingAfter?: number): Promise<OpenAI.Responses.ResponseStreamEvent[]> => {
    const signal = AbortSignal.timeout(WAIT_MS);
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    try {
      const query = startingAfter === undefined ? { stream: true as const } : { stream: true as const, starting_after: startingAfter };
      for await (const event of await stack.client.responses.retrieve(id, query, { signal })) events.push(event);
    } catch (error) {
      if (!signal.aborted) throw error;
      const seen = events.map((event) => event.type).join(', ');
      throw new Error(`timed out after ${WAIT_MS} ms waiting for the stream of background response ${id} to end (events so far: ${seen})`, {
        cause: error,
      });
    }
    return events;
  };

  it('continues a conversation through previous_response_id: the earlier turns reach the model', async () => {
    const first = await stack.client.responses.create({ model: MODEL, instructions: 'Be brief.', input: 'My name is Ada Lovelace.' });
    assert.equal(first.object, 'response');
    assert.equal(first.status, 'completed');
    assert.match(first.id, /^resp_[0-9a-f]{32,}$/);
    assert.match(first.output_text, /Emulated reply from azure to 2 messages/);
    assert.ok(first.usage !== undefined && first.usage !== null && first.usage.input_tokens > 0 && first.usage.output_tokens > 0);

    const second = await stack.client.responses.create({ model: MODEL, previous_response_id: first.id, input: 'What is my name?' });
    assert.equal(second.previous_response_id, first.id);
    // user, assistant (turn 1), user: instructions do not carry over with previous_response_id.
    assert.match(second.output_text, /to 3 messages/);
    const messages = await lastUpstreamMessages();
    assert.deepEqual(
      messages.map((message) => message.role),
      ['user', 'assistant', 'user'],
    );
    assert.match(JSON.stringify(messages[0]), /Ada Lovelace/);
    assert.match(JSON.stringify(messages[1]), /Emulated reply from azure to 2 messages/);

    const third = await stack.client.responses.create({
      model: MODEL,
      previous_response_id: second.id,
      input: 'And again?',
      instructions: 'Answer in French.',
    });
    assert.match(third.output_text, /to 6 messages/);
  });

  it('branches: two turns continuing the same response at once both succeed, each with its own chain', async () => {
    const root = await stack.client.responses.create({ model: MODEL, input: 'The root of the tree.' });
    const [left, right] = await Promise.all([
      stack.client.responses.create({ model: MODEL, previous_response_id: root.id, input: 'Left branch.' }),
      stack.client.responses.create({ model: MODEL, previous_response_id: root.id, input: 'Right branch.' }),
    ]);
    assert.equal(left.status, 'completed');
    assert.equal(right.status, 'completed');
    const next = await stack.client.responses.create({ model: MODEL, previous_response_id: left.id, input: 'Continue left.' });
    assert.match(next.output_text, /to 5 messages/);
    const messages = JSON.stringify(await lastUpstreamMessages());
    assert.match(messages, /Left branch/);
    assert.doesNotMatch(messages, /Right branch/);
  });

  it('retrieves, lists the input items of, and deletes a stored response', async () => {
    const created = await stack.client.responses.create({
      model: MODEL,
      input: [
        { role: 'user', content: 'first part' },
        { role: 'user', content: [{ type: 'input_text', text: 'second part' }] },
      ],
    });
    const retrieved = await stack.client.responses.retrieve(created.id);
    assert.equal(retrieved.id, created.id);
    assert.equal(retrieved.output_text, created.output_text);
    const items = await stack.client.responses.inputItems.list(created.id, { order: 'asc' });
    assert.equal(items.data.length, 2);
    assert.match(JSON.stringify(items.data[0]), /first part/);
    const page = await stack.client.responses.inputItems.list(created.id, { order: 'asc', limit: 1 });
    assert.equal(page.data.length, 1);
    assert.equal(page.has_more, true);
    await stack.client.responses.delete(created.id);
    await assert.rejects(stack.client.responses.retrieve(created.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
    await assert.rejects(
      stack.client.responses.create({ model: MODEL, previous_response_id: created.id, input: 'continue the deleted one' }),
      (error: unknown) => error instanceof OpenAI.NotFoundError,
    );
  });

  it('deleting a response breaks only the chains through it: other chains are still read from the cache', async (context) => {
    const first = await stack.client.responses.create({ model: MODEL, input: 'Deleted chain, turn one.' });
    const middle = await stack.client.responses.create({ model: MODEL, previous_response_id: first.id, input: 'Deleted chain, turn two.' });
    const last = await stack.client.responses.create({ model: MODEL, previous_response_id: middle.id, input: 'Deleted chain, turn three.' });
    const kept = await stack.client.responses.create({ model: MODEL, input: 'A chain nobody deletes.' });
    const reads = context.mock.method(stack.gateway.store, 'readResponseChain');
    await stack.client.responses.delete(middle.id);
    // Another chain continues from the cache: no store read.
    await stack.client.responses.create({ model: MODEL, previous_response_id: kept.id, input: 'Still cached?' });
    assert.equal(reads.mock.callCount(), 0);
    // A descendant of the deleted response is read from the store, whose chain is cut at the deletion.
    const after = await stack.client.responses.create({ model: MODEL, previous_response_id: last.id, input: 'After the deletion.' });
    assert.equal(reads.mock.callCount(), 1);
    assert.equal(after.status, 'completed');
    const messages = JSON.stringify(await lastUpstreamMessages());
    assert.match(messages, /turn three/);
    assert.doesNotMatch(messages, /turn two/);
    assert.doesNotMatch(messages, /turn one/);
  });

  it('keeps nothing with store: false', async () => {
    const created = await stack.client.responses.create({ model: MODEL, input: 'forget me', store: false });
    assert.equal((created as unknown as { store: boolean }).store, false);
    await assert.rejects(stack.client.responses.retrieve(created.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
  });

  it('streams the Responses events in order, with sequence numbers, and stores the streamed response', async () => {
    const stream = await stack.client.responses.create({ model: MODEL, input: 'Stream a short answer.', stream: true });
    const events: Array<{ type: string; sequence_number: number }> = [];
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      events.push(event);
      if (event.type === 'response.completed') final = event.response;
    }
    const types = events.map((event) => event.type);
    assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    assert.ok(types.filter((type) => type === 'response.output_text.delta').length > 1);
    assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    );
    assert.ok(final !== undefined && final.status === 'completed');
    const deltas = events
      .filter((event): event is OpenAI.Responses.ResponseTextDeltaEvent => event.type === 'response.output_text.delta')
      .map((event) => event.delta)
      .join('');
    assert.equal((await stack.client.responses.retrieve(final.id)).output_text, deltas);
  });

  it('runs a function-call round trip', async () => {
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather for a city',
        strict: true,
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
      },
    ];
    const first = await stack.client.responses.create({ model: MODEL, tools, input: 'Please call get_weather for Paris.' });
    const call = first.output.find((item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === 'function_call');
    assert.ok(call !== undefined, JSON.stringify(first.output));
    assert.equal(call.name, 'get_weather');
    assert.equal(typeof JSON.parse(call.arguments).city, 'string');
    const second = await stack.client.responses.create({
      model: MODEL,
      tools,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ temperature_c: 21 }) }],
    });
    assert.match(second.output_text, /after get_weather returned a result/);
    const messages = await lastUpstreamMessages();
    assert.equal(messages.at(-1)?.role, 'tool');
  });

  it('refuses previous_response_id together with conversation, and an unknown previous response', async () => {
    const conversation = await stack.client.conversations.create({});
    await assert.rejects(
      stack.client.responses.create({ model: MODEL, input: 'x', previous_response_id: 'resp_123', conversation: conversation.id }),
      (error: unknown) => error instanceof OpenAI.BadRequestError,
    );
    await assert.rejects(
      stack.client.responses.create({ model: MODEL, input: 'x', previous_response_id: 'resp_00000000000000000000000000000000' }),
      (error: unknown) => error instanceof OpenAI.NotFoundError && error.param === 'previous_response_id',
    );
  });

  it('runs a background response to completion, and cancels another', async () => {
    const queued = await stack.client.responses.create({ model: MODEL, input: 'in the background', background: true });
    assert.equal(queued.status, 'queued');
    assert.equal(queued.background, true);
    assert.equal((await followToEnd(queued.id)).at(-1)?.type, 'response.completed');
    const done = await stack.client.responses.retrieve(queued.id);
    assert.equal(done.status, 'completed');
    assert.match(done.output_text, /in the background/);

    const arrived = held.arrival();
    const slow = await stack.client.responses.create({ model: 'via-held', input: 'held upstream', background: true });
    // The job's upstream call is in flight (and held): the cancel meets a running job.
    await arrived;
    const cancelled = await stack.client.responses.cancel(slow.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal((await stack.client.responses.retrieve(slow.id)).status, 'cancelled');
    // Its stream is over too, without a completion.
    assert.ok(!(await followToEnd(slow.id)).some((event) => event.type === 'response.completed'));
    const normal = await stack.client.responses.create({ model: MODEL, input: 'not background' });
    await assert.rejects(stack.client.responses.cancel(normal.id), (error: unknown) => error instanceof OpenAI.BadRequestError);
  });

  it("meters a background response under a request id of the foreground's shape", async () => {
    const foreground = await stack.client.responses.create({ model: MODEL, input: 'in the foreground' }).withResponse();
    const foregroundId = foreground.response.headers.get('x-request-id') ?? '';
    assert.match(foregroundId, /^req_[0-9a-f]{32}$/);
    const queued = await stack.client.responses.create({ model: MODEL, input: 'metered in the background', background: true });
    assert.equal((await followToEnd(queued.id)).at(-1)?.type, 'response.completed');
    const record = await stack.gateway.store.getResponse('default', queued.id);
    assert.ok(record?.usage_event_id, 'the background response was metered');
    const events = await stack.gateway.store.listUsageEvents({ limit: 1_000 });
    const event = events.find((candidate) => candidate.id === record?.usage_event_id);
    assert.ok(event !== undefined);
    assert.match(event.request_id, /^req_[0-9a-f]{32}$/);
    // Time-ordered like a foreground request's: made after the foreground request, it sorts after it.
    assert.ok(event.request_id > foregroundId);
  });

  it('replays a background stream after a sequence number', async () => {
    const queued = await stack.client.responses.create({ model: MODEL, input: 'resume my stream', background: true });
    // Followed live while the job runs, then replayed from the store once it is over.
    const all = (await followToEnd(queued.id)).map((event) => event.sequence_number);
    assert.ok(all.length > 4);
    assert.equal((await stack.client.responses.retrieve(queued.id)).status, 'completed');
    assert.deepEqual(
      (await followToEnd(queued.id)).map((event) => event.sequence_number),
      all,
    );
    assert.deepEqual(
      (await followToEnd(queued.id, 2)).map((event) => event.sequence_number),
      all.filter((sequence) => sequence > 2),
    );
  });

  it('counts input tokens with the real tokenizer', async () => {
    const small = await stack.api('POST', '/v1/responses/input_tokens', { model: MODEL, input: 'Hello' });
    const large = await stack.api('POST', '/v1/responses/input_tokens', { model: MODEL, input: 'Hello '.repeat(200), instructions: 'Be brief.' });
    assert.equal(small.status, 200, JSON.stringify(small.body));
    assert.equal(small.body.object, 'response.input_tokens');
    assert.ok(small.body.input_tokens > 0);
    assert.ok(large.body.input_tokens > small.body.input_tokens + 150);
  });

  it('meters every turn: the stored response names its usage event', async () => {
    const created = await stack.client.responses.create({ model: MODEL, input: 'meter me' });
    const record = await stack.gateway.store.getResponse('default', created.id);
    assert.ok(record?.usage_event_id);
    const usage = await stack.api('GET', '/admin/usage?group_by=model');
    assert.ok(usage.body.data.some((row: { group: string }) => row.group === MODEL));
  });
});

describe('POST /v1/responses/compact', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('condenses a chain into the user messages plus a compaction item that later turns read back as context', async () => {
    const first = await stack.client.responses.create({ model: MODEL, input: 'The launch code is tangerine-42.' });
    const second = await stack.client.responses.create({ model: MODEL, previous_response_id: first.id, input: 'Also remember the meeting is on Friday.' });
    const compacted = await stack.client.responses.compact({ model: MODEL, previous_response_id: second.id });
    assert.equal(compacted.object, 'response.compaction');
    assert.deepEqual(
      compacted.output.map((item) => item.type),
      ['message', 'message', 'compaction'],
    );
    assert.ok(compacted.usage.input_tokens > 0);
    const compaction = compacted.output.at(-1) as { encrypted_content: string };
    assert.ok(compaction.encrypted_content.length > 0);

    const next = await stack.client.responses.create({
      model: MODEL,
      input: [...(compacted.output as OpenAI.Responses.ResponseInputItem[]), { role: 'user', content: 'What was the code?' }],
    });
    assert.equal(next.status, 'completed');
    const entries = (await stack.journal('azure')).filter((entry) => entry.path.includes('chat/completions'));
    const messages = (entries.at(-1)?.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
    assert.ok(
      messages.some((message) => message.role === 'system' && /compacted/.test(String(message.content))),
      JSON.stringify(messages),
    );
    await assert.rejects(
      stack.client.responses.create({
        model: MODEL,
        input: [
          { type: 'compaction', encrypted_content: 'gAAAAB-not-ours' },
          { role: 'user', content: 'hi' },
        ] as OpenAI.Responses.ResponseInputItem[],
      }),
      (error: unknown) => error instanceof OpenAI.BadRequestError,
    );
  });

  it("seals the compaction item for its tenant: unreadable, and a tampered, foreign or another tenant's item is a 400 naming it", async () => {
    const compacted = await stack.client.responses.compact({ model: MODEL, input: 'The safe combination is 31-7-22.' });
    const item = compacted.output.at(-1) as { type: string; id: string; encrypted_content: string };
    assert.equal(item.type, 'compaction');
    assert.match(item.encrypted_content, /^crossway\.compaction\.v2\./);
    const payload = Buffer.from(item.encrypted_content.slice('crossway.compaction.v2.'.length), 'base64url').toString('utf8');
    assert.doesNotMatch(`${item.encrypted_content} ${payload}`, /31-7-22|summary/i);

    const reuse = (content: string, key?: string) =>
      stack.api(
        'POST',
        '/v1/responses',
        {
          model: MODEL,
          input: [
            { role: 'user', content: 'Go on.' },
            { type: 'compaction', encrypted_content: content },
          ],
        },
        key,
      );
    assert.equal((await reuse(item.encrypted_content)).status, 200);

    const bytes = Buffer.from(item.encrypted_content.slice('crossway.compaction.v2.'.length), 'base64url');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
    const tampered = await reuse(`crossway.compaction.v2.${bytes.toString('base64url')}`);
    assert.equal(tampered.status, 400);
    assert.equal(tampered.body.error.param, 'input[1].encrypted_content');
    assert.equal(tampered.body.error.code, 'invalid_encrypted_content');

    const plain = await reuse(`crossway.compaction.v1.${Buffer.from(JSON.stringify({ summary: 'forged' })).toString('base64url')}`);
    assert.equal(plain.status, 400);
    assert.match(plain.body.error.message, /unencrypted/);

    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'other-compaction', name: 'Other' })).status, 201);
    const otherKey = String((await stack.api('POST', '/admin/keys', { tenant: 'other-compaction' })).body.key);
    const foreign = await reuse(item.encrypted_content, otherKey);
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body.error.param, 'input[1].encrypted_content');
    // Refused when a background response is created, not later in its job.
    const background = await stack.api(
      'POST',
      '/v1/responses',
      { model: MODEL, background: true, input: [{ type: 'compaction', encrypted_content: item.encrypted_content }] },
      otherKey,
    );
    assert.equal(background.status, 400);
    assert.equal(background.body.error.param, 'input[0].encrypted_content');
  });

  it('resolves item references against the context a turn continues', async () => {
    const conversation = await stack.client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Referenced words: blue whale.' }] });
    const [item] = (await stack.client.conversations.items.list(conversation.id)).data;
    const reply = await stack.client.responses.create({
      model: MODEL,
      conversation: conversation.id,
      input: [
        { type: 'item_reference', id: item!.id! },
        { role: 'user', content: 'Use the reference.' },
      ],
    });
    assert.equal(reply.status, 'completed');
    await assert.rejects(
      stack.client.responses.create({ model: MODEL, input: [{ type: 'item_reference', id: 'msg_does_not_exist' }] }),
      (error: unknown) => error instanceof OpenAI.NotFoundError,
    );
  });
});

describe('truncation on a small-context route', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      models: [{ id: 'small-context' }],
      routes: (urls) => [
        {
          id: 'azure-small',
          model: 'small-context',
          provider: 'azure',
          endpoint: urls.azure,
          deployment: 'gpt-5.5',
          api: 'v1',
          auth: { type: 'api-key', key: 'emulator-azure-key' },
          limits: { context: 1200 },
          capabilities: ['streaming', 'tools'],
        },
      ],
    });
  });
  after(() => stack.close());

  const long = (label: string) => `${label}: ${'lorem ipsum dolor sit amet '.repeat(80)}`;

  it('drops the oldest turns under truncation "auto", keeping the instructions and the newest turn', async () => {
    let previous: string | undefined;
    for (let turn = 1; turn <= 4; turn++) {
      const reply = await stack.client.responses.create({
        model: 'small-context',
        instructions: 'Keep me.',
        truncation: 'auto',
        input: long(`turn ${turn}`),
        ...(previous ? { previous_response_id: previous } : {}),
      });
      assert.equal(reply.status, 'completed');
      previous = reply.id;
    }
    const entries = (await stack.journal('azure')).filter((entry) => entry.path.includes('chat/completions'));
    const messages = (entries.at(-1)?.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
    assert.equal(messages[0]?.role, 'system');
    assert.match(JSON.stringify(messages.at(-1)), /turn 4/);
    const users = messages.filter((message) => message.role === 'user').map((message) => String(message.content));
    assert.ok(!users.some((text) => text.startsWith('turn 1:')), 'the oldest turn was dropped');
    assert.ok(messages.length < 8, `${messages.length} messages sent`);
    // The stored chain keeps every turn: truncation shapes what is sent, not what is kept.
    const all = await stack.gateway.store.readResponseChain('default', previous!);
    assert.equal(all?.responses.length, 4);
  });

  it('fails with OpenAI\'s context-length error under truncation "disabled"', async () => {
    const first = await stack.client.responses.create({ model: 'small-context', input: long('first') });
    const second = await stack.client.responses.create({ model: 'small-context', previous_response_id: first.id, input: long('second') });
    await assert.rejects(
      stack.client.responses.create({ model: 'small-context', previous_response_id: second.id, input: long('third') }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.code === 'context_length_exceeded',
    );
  });
});
