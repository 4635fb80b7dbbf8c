// Tests of translating ConverseStream event streams into OpenAI SSE: recorded streams encoded with the AWS event
// stream codec, replayed whole and split at every byte, plus exceptions, early ends and broken frames.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UpstreamConnectionError, UpstreamError, type ChatCompletionChunk, type FinishReason, type Usage } from '../../wire/index.ts';
import { collectChatStream, readFixture, replay, splitAt } from '../replay-fixture.ts';
import { makeTestRoute } from '../test-route.ts';
import { convertBedrockConverseStream } from './convert-bedrock-converse-stream.ts';
import { encodeBedrockEventStream, encodeBedrockFrame, readBedrockFrames, type BedrockFixtureFrame } from './encode-bedrock-event-stream.ts';

const route = makeTestRoute({ id: 'bedrock-stream-test', provider: 'bedrock', endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com' });
const stamp = { id: 'chatcmpl-s1', created: 1_754_577_600, model: 'openai.gpt-oss-120b-1:0' };
const fixtureUrl = (name: string) => new URL(`./__fixtures__/${name}`, import.meta.url);
const decoder = new TextDecoder();
const STOP_REASONS = JSON.parse(decoder.decode(readFixture(fixtureUrl('bedrock-stop-reasons.json')))) as [string, FinishReason][];

interface Run {
  events: (ChatCompletionChunk | '[DONE]')[];
  text: string;
  usages: Usage[];
}

/** Runs a stream and checks its events: parsed chunks that match their bytes, then the usage, then done. */
async function run(chunks: Uint8Array[], includeUsage = true): Promise<Run> {
  const collected = await collectChatStream(convertBedrockConverseStream(replay(chunks), route, { includeUsage }, stamp));
  assert.deepEqual(
    collected.events.slice(-2).map((event) => event.type),
    ['usage', 'done'],
  );
  const parsed = collected.events.flatMap((event) => (event.type === 'chunks' ? (event.chunks ?? []) : []));
  const sent = parseSse(decoder.decode(Buffer.concat(collected.events.flatMap((event) => (event.type === 'chunks' ? [event.bytes] : []))))).events;
  assert.deepEqual(parsed, sent, 'the chunks come parsed, as sent');
  return { ...parseSse(collected.text), usages: collected.usages };
}

function parseSse(text: string): { events: (ChatCompletionChunk | '[DONE]')[]; text: string } {
  const events = text
    .split('\n\n')
    .filter((event) => event !== '')
    .map((event) => {
      assert.ok(event.startsWith('data: '), event);
      const data = event.slice('data: '.length);
      return data === '[DONE]' ? ('[DONE]' as const) : (JSON.parse(data) as ChatCompletionChunk);
    });
  return { events, text };
}

const chunk = (delta: Record<string, unknown>, finishReason: FinishReason | null = null) => ({
  ...stamp,
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, finish_reason: finishReason }],
});

describe('convertBedrockConverseStream', () => {
  test('text stream: role chunk, content deltas, finish reason, usage chunk, [DONE]', async () => {
    const { events, usages } = await run([encodeBedrockEventStream(fixtureUrl('bedrock-converse-stream-text.json'))]);
    const usage = { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13, prompt_tokens_details: { cached_tokens: 0 } };
    assert.deepEqual(events, [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hello' }),
      chunk({ content: ', world' }),
      chunk({ content: '!' }),
      chunk({}, 'stop'),
      { ...stamp, object: 'chat.completion.chunk', choices: [], usage },
      '[DONE]',
    ]);
    assert.deepEqual(usages, [usage]);
  });

  test('without include_usage the usage-only chunk is withheld but usage is still reported', async () => {
    const { events, usages } = await run([encodeBedrockEventStream(fixtureUrl('bedrock-converse-stream-text.json'))], false);
    assert.equal(events.length, 6);
    assert.deepEqual(events.at(-2), chunk({}, 'stop'));
    assert.equal(usages.length, 1);
  });

  test('tool-use stream: one tool_calls start per call (0-based index), argument fragments, finish tool_calls', async () => {
    const { events, usages } = await run([encodeBedrockEventStream(fixtureUrl('bedrock-converse-stream-tool-use.json'))]);
    assert.deepEqual(events.slice(0, -2), [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Checking.' }),
      chunk({ tool_calls: [{ index: 0, id: 'tooluse_3bE1RvXhQyG0c6oA2mDfPw', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city": "Os' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'lo", "unit": "celsius"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'tooluse_Xw8pL0aYSkOdrv2o8KXb1g', type: 'function', function: { name: 'get_time', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{"city": "Oslo"}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    assert.deepEqual(usages, [{ prompt_tokens: 1380, completion_tokens: 61, total_tokens: 1441, prompt_tokens_details: { cached_tokens: 1000 } }]);
  });

  test('the forced JSON answer tool streams as content and finishes with stop', async () => {
    const frames: BedrockFixtureFrame[] = [
      { event: 'messageStart', payload: { role: 'assistant' } },
      { event: 'contentBlockStart', payload: { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't1', name: 'crossway_json_response' } } } },
      { event: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { toolUse: { input: '{"name": "Ada",' } } } },
      { event: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { toolUse: { input: ' "age": 36}' } } } },
      { event: 'contentBlockStop', payload: { contentBlockIndex: 0 } },
      { event: 'messageStop', payload: { stopReason: 'tool_use' } },
      { event: 'metadata', payload: { usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12 }, metrics: { latencyMs: 1 } } },
    ];
    const { events } = await run([encodeBedrockEventStream(frames)], false);
    assert.deepEqual(events, [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: '{"name": "Ada",' }),
      chunk({ content: ' "age": 36}' }),
      chunk({}, 'stop'),
      '[DONE]',
    ]);
  });

  test('reasoning deltas become reasoning_content', async () => {
    const frames: BedrockFixtureFrame[] = [
      { event: 'messageStart', payload: { role: 'assistant' } },
      { event: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'thinking' } } } },
      { event: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig' } } } },
      { event: 'contentBlockDelta', payload: { contentBlockIndex: 1, delta: { text: 'answer' } } },
      { event: 'messageStop', payload: { stopReason: 'end_turn' } },
      { event: 'metadata', payload: { usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 }, metrics: { latencyMs: 1 } } },
    ];
    const { events } = await run([encodeBedrockEventStream(frames)], false);
    assert.deepEqual(events.slice(1, 3), [chunk({ reasoning_content: 'thinking' }), chunk({ content: 'answer' })]);
  });

  for (const [stopReason, finishReason] of STOP_REASONS) {
    test(`messageStop ${stopReason} -> finish_reason ${finishReason}`, async () => {
      const frames: BedrockFixtureFrame[] = [
        { event: 'messageStart', payload: { role: 'assistant' } },
        { event: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'x' } } },
        { event: 'messageStop', payload: { stopReason } },
        { event: 'metadata', payload: { usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, metrics: { latencyMs: 1 } } },
      ];
      const { events } = await run([encodeBedrockEventStream(frames)], false);
      assert.deepEqual(events.at(-2), chunk({}, finishReason));
    });
  }

  test('the same output wherever the frames are split, down to single bytes', async () => {
    const bytes = encodeBedrockEventStream(fixtureUrl('bedrock-converse-stream-tool-use.json'));
    const expected = (await run([bytes])).text;
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { text, usages } = await run(splitAt(bytes, cut));
      assert.equal(text, expected, `cut at ${cut}`);
      assert.equal(usages.length, 1, `cut at ${cut}`);
    }
    const small = encodeBedrockEventStream(fixtureUrl('bedrock-converse-stream-text.json'));
    const byteByByte = Array.from({ length: small.length }, (_, i) => i + 1);
    assert.equal((await run(splitAt(small, ...byteByByte))).text, (await run([small])).text);
  });

  test('an exception frame throws the mapped error after forwarding the chunks before it', async () => {
    const frames = readBedrockFrames(fixtureUrl('bedrock-converse-stream-throttled.json'));
    const pieces = frames.map(encodeBedrockFrame);
    const forwarded: string[] = [];
    const stream = convertBedrockConverseStream(replay(pieces), route, { includeUsage: true }, stamp);
    await assert.rejects(
      (async () => {
        for await (const piece of stream) if (piece.bytes !== null) forwarded.push(decoder.decode(piece.bytes));
      })(),
      (error: unknown) => {
        assert.ok(error instanceof UpstreamError);
        assert.equal(error.status, 429);
        assert.equal(error.code, 'ThrottlingException');
        assert.equal(error.retryable, true);
        assert.equal(error.route, 'bedrock-stream-test');
        assert.match(error.message, /^Too many tokens, please wait before trying again\. \(route bedrock-stream-test\)$/);
        return true;
      },
    );
    assert.deepEqual(parseSse(forwarded.join('')).events, [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Once upon' })]);
  });

  const exceptions: { type: string; status: number; retryable: boolean }[] = [
    { type: 'throttlingException', status: 429, retryable: true },
    { type: 'serviceUnavailableException', status: 503, retryable: true },
    { type: 'internalServerException', status: 500, retryable: true },
    { type: 'modelStreamErrorException', status: 424, retryable: true },
    { type: 'validationException', status: 400, retryable: false },
    { type: 'someNewException', status: 500, retryable: true },
  ];
  for (const item of exceptions) {
    test(`exception ${item.type} -> ${item.status}${item.retryable ? ' retryable' : ''}, message kept`, async () => {
      const bytes = encodeBedrockEventStream([
        { event: 'messageStart', payload: { role: 'assistant' } },
        { exception: item.type, payload: { message: `boom from ${item.type}`, originalStatusCode: 500 } },
      ]);
      await assert.rejects(run([bytes]), (error: unknown) => {
        assert.ok(error instanceof UpstreamError);
        assert.equal(error.status, item.status);
        assert.equal(error.retryable, item.retryable);
        assert.match(error.message, new RegExp(`^boom from ${item.type} \\(route bedrock-stream-test\\)$`));
        assert.deepEqual(error.details, { original_status_code: 500 });
        return true;
      });
    });
  }

  test('a stream that ends early (before messageStop and metadata, or inside a frame) is UpstreamConnectionError', async () => {
    const frames = readBedrockFrames(fixtureUrl('bedrock-converse-stream-text.json'));
    const bytes = encodeBedrockEventStream(frames);
    const withoutMetadata = encodeBedrockEventStream(frames.slice(0, -1));
    for (const keep of [0, 1, 4, 20, withoutMetadata.length, bytes.length - 1]) {
      await assert.rejects(run([bytes.slice(0, keep)]), (error: unknown) => {
        assert.ok(error instanceof UpstreamConnectionError, `kept ${keep} bytes: ${String(error)}`);
        assert.match(error.message, /\(route bedrock-stream-test\)$/);
        return true;
      });
    }
  });

  test('bytes that are not an event stream (bad CRC, absurd length) are a retryable 502', async () => {
    const bytes = encodeBedrockEventStream(fixtureUrl('bedrock-converse-stream-text.json'));
    const corrupted = bytes.slice();
    corrupted[20] = (corrupted[20] ?? 0) ^ 0xff;
    const html = new TextEncoder().encode('<html><body>Bad gateway</body></html>');
    for (const body of [corrupted, html]) {
      await assert.rejects(
        run([body]),
        (error: unknown) => error instanceof UpstreamError && !(error instanceof UpstreamConnectionError) && error.status === 502 && error.retryable,
      );
    }
  });
});
