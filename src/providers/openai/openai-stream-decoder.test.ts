// Tests of streaming an OpenAI-wire reply through: recorded streams replayed in chunks cut anywhere.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request } from 'undici';
import { UpstreamConnectionError, UpstreamError, type Usage } from '../../wire/index.ts';
import { checkChatEventOrder, collectChatStream, readSseFixture, readSseFixtureLines, replay, serveChunks, splitAt } from '../replay-fixture.ts';
import type { ChatStreamEvent } from '../provider-adapter.ts';
import { makeTestRoute } from '../test-route.ts';
import { decodeOpenAIStream, mayHoldValue } from './openai-stream-decoder.ts';

const route = makeTestRoute();
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const streamUrl = new URL('./__fixtures__/openai-chat-stream.chunks.txt', import.meta.url);
const errorUrl = new URL('./__fixtures__/openai-chat-stream-error.chunks.txt', import.meta.url);
const recorded = readSseFixture(streamUrl);
const recordedLines = readSseFixtureLines(streamUrl);
const usage: Usage = {
  prompt_tokens: 9,
  completion_tokens: 12,
  total_tokens: 21,
  prompt_tokens_details: { cached_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0 },
};

async function run(chunks: Uint8Array[], includeUsage: boolean): Promise<{ text: string; usages: Usage[] }> {
  const { text, usages } = await collectChatStream(decodeOpenAIStream(replay(chunks), route, { includeUsage }));
  return { text, usages };
}

/** Every event a stream yields until it ends or throws, and what it threw (null when it ended). */
async function drain(stream: AsyncIterable<ChatStreamEvent>): Promise<{ events: ChatStreamEvent[]; error: unknown }> {
  const events: ChatStreamEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events, error: null };
}

function textOf(events: readonly ChatStreamEvent[]): string {
  return events.map((event) => (event.bytes === null ? '' : decoder.decode(event.bytes))).join('');
}

function sse(lines: string[]): string {
  return lines.map((line) => `data: ${line}\n\n`).join('');
}

/** A recorded line as the client gets it when it did not ask for usage. */
const withoutNullUsage = (line: string): string => line.replace(',"usage":null', '');

describe('decodeOpenAIStream', () => {
  test('include_usage asked: every event forwarded byte for byte, usage reported once', async () => {
    const { text, usages } = await run([recorded], true);
    assert.equal(text, decoder.decode(recorded));
    assert.deepEqual(usages, [usage]);
  });

  test('include_usage not asked: the usage-only chunk is withheld and no chunk carries "usage": null, usage still reported', async () => {
    const { text, usages } = await run([recorded], false);
    const withoutUsageChunk = recordedLines.filter((line) => !line.includes('"choices":[]'));
    assert.equal(withoutUsageChunk.length, recordedLines.length - 1);
    assert.ok(withoutUsageChunk.some((line) => line.includes('"usage":null')));
    assert.equal(text, sse(withoutUsageChunk.map(withoutNullUsage)));
    assert.doesNotMatch(text, /"usage"/);
    assert.deepEqual(usages, [usage]);
  });

  test('answerModel: every chunk names it, the usage chunk included; each event rewritten once, the rest byte for byte', async () => {
    for (const includeUsage of [true, false]) {
      const events = await drain(decodeOpenAIStream(replay([recorded]), route, { includeUsage, answerModel: () => 'catalog-model' }));
      const text = textOf(events.events);
      assert.doesNotMatch(text, /gpt-4o-mini/);
      const expected = recordedLines
        .filter((line) => includeUsage || !line.includes('"choices":[]'))
        .map((line) => line.replace('"model":"gpt-4o-mini"', '"model":"catalog-model"'))
        .map((line) => (includeUsage ? line : withoutNullUsage(line)));
      assert.equal(text, sse(expected));
    }
    const parsed = await drain(decodeOpenAIStream(replay([recorded]), route, { includeUsage: true, parseChunks: true, answerModel: () => 'catalog-model' }));
    for (const event of parsed.events) if (event.type === 'chunks') for (const chunk of event.chunks ?? []) assert.equal(chunk.model, 'catalog-model');
  });

  test('chunk boundaries at every byte position give the same output', async () => {
    const expected = decoder.decode(recorded);
    for (let cut = 0; cut <= recorded.length; cut++) {
      const { text, usages } = await run(splitAt(recorded, cut), true);
      assert.equal(text, expected, `cut at ${cut}`);
      assert.deepEqual(usages, [usage], `cut at ${cut}`);
    }
  });

  test('byte-by-byte delivery gives the same output', async () => {
    const { text, usages } = await run(
      Array.from(recorded, (byte) => Uint8Array.of(byte)),
      false,
    );
    assert.equal(text, sse(recordedLines.filter((line) => !line.includes('"choices":[]')).map(withoutNullUsage)));
    assert.deepEqual(usages, [usage]);
  });

  test('usage on the last content chunk (compatible servers) is read and the chunk kept', async () => {
    const lines = [
      '{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}],' +
        '"usage":{"prompt_tokens":5,"completion_tokens":1}}',
      '[DONE]',
    ];
    const { text, usages } = await run([encoder.encode(sse(lines))], false);
    assert.equal(text, sse(lines));
    assert.deepEqual(usages, [{ prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 }]);
  });

  test('usage on every chunk (vLLM continuous_usage_stats): the last one is reported, once', async () => {
    const lines = [
      '{"choices":[{"index":0,"delta":{"content":"a"}}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}',
      '{"choices":[{"index":0,"delta":{"content":"b"}}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}',
      '{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}',
      '[DONE]',
    ];
    const { usages } = await run([encoder.encode(sse(lines))], true);
    assert.deepEqual(usages, [{ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }]);
  });

  test('comments, keep-alives, CRLF framing and event names are forwarded unchanged', async () => {
    const input = ': OPENROUTER PROCESSING\r\n\r\nevent: message\r\ndata: {"choices":[{"index":0,"delta":{"content":"x"}}]}\r\n\r\ndata: [DONE]\r\n\r\n';
    const { text } = await run([encoder.encode(input)], false);
    assert.equal(text, input);
  });

  test('content that mentions "usage" or "error" is not mistaken for them', async () => {
    const lines = ['{"choices":[{"index":0,"delta":{"content":"{\\"usage\\": {\\"x\\":1}, \\"error\\": {}}"}}],"usage":null}', '[DONE]'];
    const { text, usages } = await run([encoder.encode(sse(lines))], true);
    assert.equal(text, sse(lines));
    assert.deepEqual(usages, []);
    // Not asked for usage: only the real null member goes, the content stays.
    assert.equal((await run([encoder.encode(sse(lines))], false)).text, sse(lines.map(withoutNullUsage)));
  });

  test('an error event throws the mapped UpstreamError after forwarding what came before', async () => {
    const bytes = readSseFixture(errorUrl);
    const { events, error } = await drain(decodeOpenAIStream(replay([bytes]), route, { includeUsage: false }));
    assert.ok(error instanceof UpstreamError);
    assert.ok(!(error instanceof UpstreamConnectionError));
    assert.equal(error.status, 500);
    assert.equal(error.type, 'server_error');
    assert.equal(error.retryable, true);
    assert.match(error.message, /The server had an error while processing your request\. Sorry about that! \(route test-route\)/);
    const lines = readSseFixtureLines(errorUrl);
    assert.equal(textOf(events), sse(lines.slice(0, 2).map(withoutNullUsage)));
    checkChatEventOrder(events, false);
  });

  const errorEvents: { name: string; input: string; status: number; code: string | null; message: RegExp }[] = [
    {
      name: 'vLLM: numeric code',
      input: 'data: {"error":{"object":"error","message":"max_tokens too large","type":"BadRequestError","param":null,"code":400}}\n\n',
      status: 400,
      code: '400',
      message: /max_tokens too large/,
    },
    {
      name: 'rate limit type without status',
      input: 'data: {"error":{"message":"Rate limit reached","type":"tokens","code":"rate_limit_exceeded"}}\n\n',
      status: 429,
      code: 'rate_limit_exceeded',
      message: /Rate limit reached/,
    },
    {
      name: 'event: error with a bare message object',
      input: 'event: error\ndata: {"message":"model crashed"}\n\n',
      status: 500,
      code: null,
      message: /model crashed/,
    },
    {
      name: 'event: error with text data',
      input: 'event: error\ndata: upstream overloaded\n\n',
      status: 500,
      code: null,
      message: /upstream overloaded/,
    },
    {
      name: 'error as a string',
      input: 'data: {"error":"context window exceeded"}\n\n',
      status: 500,
      code: null,
      message: /context window exceeded/,
    },
  ];
  for (const item of errorEvents) {
    test(`error event: ${item.name}`, async () => {
      await assert.rejects(run([encoder.encode(item.input)], true), (error: unknown) => {
        assert.ok(error instanceof UpstreamError);
        assert.equal(error.status, item.status);
        assert.equal(error.code, item.code ?? 'upstream_error');
        assert.match(error.message, item.message);
        return true;
      });
    });
  }

  test('a nested "error" key (Azure content filter annotation) is not an error event', async () => {
    const lines = [
      '{"choices":[{"index":0,"content_filter_results":{"error":{"code":"content_filter_error","message":"The contents are not filtered"}}}],"usage":null}',
      '[DONE]',
    ];
    const { text } = await run([encoder.encode(sse(lines))], true);
    assert.equal(text, sse(lines));
  });

  test('ends before [DONE] after the usage chunk: the usage event came, then UpstreamConnectionError, no done', async () => {
    const withoutDone = sse(recordedLines.filter((line) => line !== '[DONE]'));
    const { events, error } = await drain(decodeOpenAIStream(replay([encoder.encode(withoutDone)]), route, { includeUsage: true }));
    assert.ok(error instanceof UpstreamConnectionError);
    checkChatEventOrder(events, false);
    assert.deepEqual(
      events.flatMap((event) => (event.type === 'usage' ? [event.usage] : [])),
      [usage],
    );
  });

  test('usage on content chunks only: its usage event comes just before done, without bytes', async () => {
    const lines = ['{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}', '[DONE]'];
    const { events } = await collectChatStream(decodeOpenAIStream(replay([encoder.encode(sse(lines))]), route, { includeUsage: true }));
    assert.deepEqual(
      events.map((event) => event.type),
      ['chunks', 'usage', 'done'],
    );
    assert.equal(events[1]?.bytes, null);
  });

  test('ends in the middle of an event: the partial event is not forwarded', async () => {
    const text = decoder.decode(recorded);
    const cut = text.indexOf('data: ', 10) + 20;
    const { events, error } = await drain(decodeOpenAIStream(replay([encoder.encode(text.slice(0, cut))]), route, { includeUsage: true }));
    assert.ok(error instanceof UpstreamConnectionError);
    assert.equal(textOf(events), sse(recordedLines.slice(0, 1)));
  });

  test('the usage chunk is its own event, before done, wherever the network cut the stream', async () => {
    const text = decoder.decode(recorded);
    const doneAt = Buffer.byteLength(text.slice(0, text.indexOf('data: [DONE]')));
    const usageAt = Buffer.byteLength(text.slice(0, text.lastIndexOf('data: ', text.lastIndexOf('"choices":[]'))));
    for (const cuts of [[doneAt], [usageAt], [], [usageAt, doneAt]]) {
      const { events } = await collectChatStream(decodeOpenAIStream(replay(splitAt(recorded, ...cuts)), route, { includeUsage: true }));
      const usageEvent = events.find((event) => event.type === 'usage');
      assert.match(decoder.decode(usageEvent?.bytes ?? new Uint8Array()), /^data: \{.*"choices":\[\].*"usage":\{.*\n\n$/);
      assert.equal(events.at(-1)?.type, 'done');
    }
  });

  test('events that arrive in one chunk leave as views of the upstream bytes', async () => {
    const chunk = recorded.slice();
    const events: ChatStreamEvent[] = [];
    for await (const event of decodeOpenAIStream(replay([chunk]), route, { includeUsage: true })) events.push(event);
    assert.deepEqual(
      events.map((event) => event.type),
      ['chunks', 'usage', 'done'],
    );
    let offset = 0;
    for (const event of events) {
      assert.equal(event.bytes?.buffer, chunk.buffer);
      assert.equal(event.bytes?.byteOffset, offset);
      offset += event.bytes?.length ?? 0;
    }
    assert.equal(offset, chunk.length);
  });

  test('parseChunks: every chunk parsed once, the usage chunk with the usage event', async () => {
    const { events } = await collectChatStream(decodeOpenAIStream(replay(splitAt(recorded, 200)), route, { includeUsage: true, parseChunks: true }));
    const chunks = events.flatMap((event) => (event.type === 'chunks' ? (event.chunks ?? []) : []));
    assert.deepEqual(
      chunks,
      recordedLines.filter((line) => line !== '[DONE]' && !line.includes('"choices":[]')).map((line) => JSON.parse(line)),
    );
  });

  test('parseChunks: an event that is not JSON is an unreadable reply', async () => {
    const input = 'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\ndata: {oops\n\n';
    const { events, error } = await drain(decodeOpenAIStream(replay([encoder.encode(input)]), route, { includeUsage: false, parseChunks: true }));
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.code, 'invalid_upstream_response');
    assert.equal(events.length, 0, 'the piece that held the bad event is not forwarded');
  });

  test('replayed through a real HTTP server (undici body)', async () => {
    const server = await serveChunks(splitAt(recorded, 7, 100, 101, 400, recorded.length - 3));
    try {
      const response = await request(server.url);
      const { text, usages } = await collectChatStream(decodeOpenAIStream(response.body, route, { includeUsage: true }));
      assert.equal(text, decoder.decode(recorded));
      assert.deepEqual(usages, [usage]);
    } finally {
      await server.close();
    }
  });
});

describe('mayHoldValue', () => {
  const cases: { name: string; data: string; key: string; expected: boolean }[] = [
    { name: 'usage object', data: '{"choices":[],"usage":{"prompt_tokens":1}}', key: '"usage"', expected: true },
    { name: 'usage null', data: '{"choices":[],"usage":null}', key: '"usage"', expected: false },
    { name: 'usage null with spaces', data: '{"usage" :  null}', key: '"usage"', expected: false },
    { name: 'usage object with spaces', data: '{"usage" : {"a":1}}', key: '"usage"', expected: true },
    { name: 'escaped inside a string', data: '{"content":"\\"usage\\": {}"}', key: '"usage"', expected: false },
    { name: 'string value, not a key', data: '{"content":"usage"}', key: '"usage"', expected: false },
    { name: 'absent', data: '{"choices":[]}', key: '"error"', expected: false },
    { name: 'error object', data: '{"error":{"message":"x"}}', key: '"error"', expected: true },
    { name: 'error string', data: '{"error":"x"}', key: '"error"', expected: true },
  ];
  for (const item of cases) {
    test(item.name, () => assert.equal(mayHoldValue(item.data, item.key), item.expected));
  }
});
