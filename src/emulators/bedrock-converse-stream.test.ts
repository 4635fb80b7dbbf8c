// ConverseStream over HTTP, frames decoded with @smithy/eventstream-codec: the event sequence for text and tool use,
// stop reasons and usage, in-stream exceptions, disconnects, chunk delays, HTTP faults and client aborts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { BEDROCK_EMULATOR_API_KEY, BedrockEmulator } from './bedrock-emulator.ts';

const emulator = new BedrockEmulator();
const codec = new EventStreamCodec(toUtf8, fromUtf8);
const headers = { authorization: `Bearer ${BEDROCK_EMULATOR_API_KEY}`, 'content-type': 'application/json' };
const STREAM_PATH = '/model/openai.gpt-oss-120b-1%3A0/converse-stream';
const say = (text: string, extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content: [{ text }] }], ...extra });

interface Frame {
  headers: Record<string, string>;
  payload: any;
}

/** Splits event-stream bytes into frames (each starts with its total length) and decodes them. */
function decodeFrames(bytes: Uint8Array): { frames: Frame[]; rest: number } {
  const frames: Frame[] = [];
  let at = 0;
  while (bytes.length - at >= 4) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0);
    if (bytes.length - at < length) break;
    const message = codec.decode(bytes.subarray(at, at + length));
    const frameHeaders = Object.fromEntries(Object.entries(message.headers).map(([name, header]) => [name, String(header.value)]));
    frames.push({ headers: frameHeaders, payload: JSON.parse(toUtf8(message.body)) });
    at += length;
  }
  return { frames, rest: bytes.length - at };
}

/** Reads the whole stream; `failed` when the connection broke before its end. */
async function readStream(response: Response): Promise<{ frames: Frame[]; failed: boolean }> {
  const chunks: Uint8Array[] = [];
  let failed = false;
  try {
    for await (const chunk of response.body!) chunks.push(chunk);
  } catch {
    failed = true;
  }
  const { frames, rest } = decodeFrames(Buffer.concat(chunks));
  assert.equal(rest, 0, 'no partial frame');
  return { frames, failed };
}

function stream(body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${emulator.url}${STREAM_PATH}`, { method: 'POST', headers, body: JSON.stringify(body), signal });
}

async function converse(body: unknown): Promise<any> {
  const response = await fetch(`${emulator.url}${STREAM_PATH.replace('converse-stream', 'converse')}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return response.json();
}

const weatherTool = {
  toolSpec: {
    name: 'get_weather',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city', 'days'] } },
  },
};

/** Reads until `read` has a value; the deadline (30 s) only ends a broken run, however slow the machine. */
async function waitFor<T>(read: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(20);
  }
}

describe('BedrockEmulator ConverseStream', () => {
  before(() => emulator.start());
  after(() => emulator.close());
  beforeEach(() => {
    emulator.clearFaults();
    emulator.clearRequests();
  });

  it('streams text as event frames that add up to the Converse answer', async () => {
    const question = say('What is the tallest mountain?');
    const whole = await converse(question);
    const response = await stream(question);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/vnd.amazon.eventstream');
    assert.ok(response.headers.get('x-amzn-requestid'));
    const { frames, failed } = await readStream(response);
    assert.equal(failed, false);
    for (const frame of frames) {
      assert.equal(frame.headers[':message-type'], 'event');
      assert.equal(frame.headers[':content-type'], 'application/json');
      assert.match(frame.payload.p, /^[a-zA-Z0-9]+$/);
    }
    const types = frames.map((frame) => frame.headers[':event-type']);
    assert.equal(types[0], 'messageStart');
    assert.deepEqual(types.slice(-3), ['contentBlockStop', 'messageStop', 'metadata']);
    assert.ok(types.filter((type) => type === 'contentBlockDelta').length > 2, 'text arrives in several deltas');
    assert.deepEqual(frames[0]!.payload.role, 'assistant');
    const text = frames
      .filter((frame) => frame.headers[':event-type'] === 'contentBlockDelta')
      .map((frame) => {
        assert.equal(frame.payload.contentBlockIndex, 0);
        return frame.payload.delta.text as string;
      })
      .join('');
    assert.equal(text, whole.output.message.content[0].text);
    assert.equal(frames.at(-2)!.payload.stopReason, 'end_turn');
    const metadata = frames.at(-1)!.payload;
    assert.deepEqual(metadata.usage, whole.usage);
    assert.equal(typeof metadata.metrics.latencyMs, 'number');
  });

  it('streams a tool use as start, input fragments and stop', async () => {
    const question = say('Use get_weather for Oslo', { toolConfig: { tools: [weatherTool] } });
    const whole = await converse(question);
    const { frames } = await readStream(await stream(question));
    const call = whole.output.message.content[0].toolUse;
    const start = frames.find((frame) => frame.headers[':event-type'] === 'contentBlockStart')!;
    assert.deepEqual(start.payload.start, { toolUse: { toolUseId: call.toolUseId, name: 'get_weather' } });
    assert.equal(start.payload.contentBlockIndex, 0);
    const fragments = frames
      .filter((frame) => frame.headers[':event-type'] === 'contentBlockDelta')
      .map((frame) => frame.payload.delta.toolUse.input as string);
    assert.ok(fragments.length > 1, 'input arrives in several deltas');
    assert.deepEqual(JSON.parse(fragments.join('')), call.input);
    assert.equal(frames.find((frame) => frame.headers[':event-type'] === 'messageStop')!.payload.stopReason, 'tool_use');
  });

  const stops: { name: string; body: unknown; stopReason: string }[] = [
    { name: 'max_tokens', body: say('Tell me a story', { inferenceConfig: { maxTokens: 4 } }), stopReason: 'max_tokens' },
    { name: 'stop_sequence', body: say('Tell me a story', { inferenceConfig: { stopSequences: ['filler'] } }), stopReason: 'stop_sequence' },
    { name: 'guardrail_intervened', body: say('[[guardrail]] please'), stopReason: 'guardrail_intervened' },
  ];
  for (const { name, body, stopReason } of stops) {
    it(`ends with messageStop ${name} and the usage in metadata`, async () => {
      const { frames } = await readStream(await stream(body));
      assert.equal(frames.find((frame) => frame.headers[':event-type'] === 'messageStop')!.payload.stopReason, stopReason);
      const usage = frames.at(-1)!.payload.usage;
      assert.equal(usage.totalTokens, usage.inputTokens + usage.outputTokens);
      if (name === 'max_tokens') assert.equal(usage.outputTokens, 4);
    });
  }

  it('ends with an exception frame after two events by default', async () => {
    emulator.setFaults({ stream_exception: 'throttlingException', count: 1 });
    const response = await stream(say('Hello'));
    assert.equal(response.status, 200);
    const { frames, failed } = await readStream(response);
    assert.equal(failed, false);
    assert.equal(frames.length, 3);
    assert.deepEqual(frames[2]!.headers, { ':exception-type': 'throttlingException', ':content-type': 'application/json', ':message-type': 'exception' });
    assert.deepEqual(frames[2]!.payload, { message: 'Too many requests, please wait before trying again.' });
    assert.equal(emulator.requests()[0]?.chunks_sent, 3);
  });

  it('places the exception after disconnect_after_chunks events when given', async () => {
    emulator.setFaults({ stream_exception: 'modelStreamErrorException', disconnect_after_chunks: 4, count: 1 });
    const { frames } = await readStream(await stream(say('Hello')));
    assert.equal(frames.length, 5);
    assert.equal(frames[4]!.headers[':exception-type'], 'modelStreamErrorException');
    assert.equal(frames[4]!.payload.originalStatusCode, 500);
  });

  it('cuts the connection after disconnect_after_chunks frames', async () => {
    emulator.setFaults({ disconnect_after_chunks: 2, count: 1 });
    const { frames, failed } = await readStream(await stream(say('Hello')));
    assert.equal(failed, true);
    assert.equal(frames.length, 2);
    const entry = await waitFor(() => emulator.requests().find((candidate) => candidate.outcome !== null));
    assert.equal(entry.outcome, 'disconnected');
    assert.equal(entry.chunks_sent, 2);
  });

  it('waits chunk_delay_ms between frames', async () => {
    emulator.setFaults({ chunk_delay_ms: 25, count: 1 });
    const started = Date.now();
    const { frames } = await readStream(await stream(say('Hi')));
    assert.ok(Date.now() - started >= 25 * (frames.length - 1) - 5, 'the delay applies per frame');
  });

  it('answers an HTTP fault before the stream with a JSON error', async () => {
    emulator.setFaults({ status: 429, count: 1 });
    const response = await stream(say('Hi'));
    assert.equal(response.status, 429);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(response.headers.get('x-amzn-errortype') ?? '', /^ThrottlingException:/);
  });

  it('journals a stream the client aborts as aborted', async () => {
    emulator.setFaults({ chunk_delay_ms: 100, count: 1 });
    const controller = new AbortController();
    const response = await stream(say('Tell me a story'), controller.signal);
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    const entry = await waitFor(() => emulator.requests().find((candidate) => candidate.outcome !== null));
    assert.equal(entry.outcome, 'aborted');
    assert.equal(entry.stream, true);
    assert.ok(entry.chunks_sent >= 1);
  });
});
