// The native Responses contract every adapter that serves POST /v1/responses keeps, as one suite each adapter's test
// runs with its own route (as provider-adapter.case.test.ts does for chat). The replies are OpenAI's recorded shapes:
// Azure's v1 API and Bedrock's OpenAI-compatible endpoints answer in the same format.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Route } from '../catalog/index.ts';
import { UpstreamConnectionError, UpstreamError, type Usage } from '../wire/index.ts';
import type { NativeResponsesStreamEvent, ProviderAdapter } from './provider-adapter.ts';
import { collectResponsesStream, readFixture, replay, splitAt } from './replay-fixture.ts';

export interface ResponsesAdapterCaseOptions {
  adapter: ProviderAdapter;
  label?: string;
  /** A route that serves the native Responses API. */
  route: Route;
  /** The URL every Responses call of `route` must go to. */
  url: string;
  /** The `model` the upstream body must carry; undefined when the URL names the deployment. */
  model: string | undefined;
}

const fixture = (name: string) => new URL(`./openai/__fixtures__/${name}`, import.meta.url);
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The recorded non-streaming Response and the usage it reports, in the chat shape. */
export const RECORDED_RESPONSE = {
  body: readFixture(fixture('openai-responses.json')),
  usage: {
    prompt_tokens: 36,
    completion_tokens: 87,
    total_tokens: 123,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  } satisfies Usage,
};

/** The recorded Responses stream and its usage. */
export const RECORDED_RESPONSE_STREAM = {
  bytes: readFixture(fixture('openai-responses-stream.sse')),
  failedBytes: readFixture(fixture('openai-responses-stream-failed.sse')),
  usage: {
    prompt_tokens: 37,
    completion_tokens: 11,
    total_tokens: 48,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  } satisfies Usage,
};

const contextBody = {
  model: 'crossway-model',
  instructions: 'Be brief.',
  input: [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'My name is Ada.' }] },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello Ada.' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is my name?' }] },
  ],
  max_output_tokens: 64,
};

/** Bodies that try to steer the URL or carry upstream state. */
const hostileBody = {
  ...contextBody,
  model: '../../x?y=1#z',
  api_base: 'https://evil.example',
  base_url: 'https://evil.example',
  deployment: '../../other',
  'api-version': 'evil',
  store: true,
  previous_response_id: 'resp_upstream',
  conversation: { id: 'conv_upstream' },
  background: true,
  crossway: { prefer: 'price' },
  models: ['other-model'],
};

/** Runs the native Responses contract against one adapter. */
export function runResponsesAdapterCases(options: ResponsesAdapterCaseOptions): void {
  const { adapter, route } = options;
  const wire = () => {
    assert.ok(adapter.responses !== undefined, `${adapter.name} serves native Responses`);
    return adapter.responses;
  };
  const prepare = (body: Record<string, unknown>) => wire().prepare(body, route);
  const read = (body: Uint8Array) => wire().read(body, route);
  const stream = (body: AsyncIterable<Uint8Array>) => wire().stream(body, route);
  /** Drains a stream that must fail; the pieces it yielded before, and what it threw. */
  const drainFailing = async (body: AsyncIterable<Uint8Array>): Promise<{ pieces: NativeResponsesStreamEvent[]; error: unknown }> => {
    const pieces: NativeResponsesStreamEvent[] = [];
    try {
      for await (const piece of stream(body)) pieces.push(piece);
    } catch (error) {
      return { pieces, error };
    }
    assert.fail('the stream did not fail');
  };

  describe(`${adapter.name} adapter, native Responses${options.label === undefined ? '' : ` (${options.label})`}`, () => {
    test('the route takes native calls', () => {
      assert.equal(wire().supports(route), true);
    });

    test('the call goes to the route URL with a stateless body: full context, route model, store false', () => {
      for (const streamed of [false, true]) {
        const prepared = prepare({ ...hostileBody, stream: streamed });
        assert.equal(prepared.method, 'POST');
        assert.equal(prepared.url, options.url);
        assert.equal(prepared.headers.accept, streamed ? 'text/event-stream' : 'application/json');
        const sent = JSON.parse(prepared.body ?? '{}') as Record<string, unknown>;
        assert.equal(sent.model, options.model);
        assert.equal(sent.store, false);
        assert.equal(sent.stream, streamed);
        assert.deepEqual(sent.input, contextBody.input);
        assert.equal(sent.instructions, 'Be brief.');
        assert.equal(sent.max_output_tokens, 64);
        for (const field of ['previous_response_id', 'conversation', 'background', 'crossway', 'models']) {
          assert.equal(field in sent, false, `${field} is not sent`);
        }
      }
      assert.equal(prepare(contextBody).url, options.url, 'a plain body goes to the same URL');
      assert.equal(hostileBody.store, true, "the caller's body is not modified");
    });

    test('a Response reply gives the object, its usage in the chat shape and the bytes as received', () => {
      const result = read(RECORDED_RESPONSE.body);
      assert.equal(result.response.id, 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b');
      assert.equal(result.response.object, 'response');
      assert.deepEqual(result.usage, RECORDED_RESPONSE.usage);
      assert.equal(result.passthroughBody, RECORDED_RESPONSE.body);
    });

    test('a reply that is not a Response object is a retryable 502 naming the route', () => {
      for (const body of ['{"object":"chat.completion","choices":[]}', 'not json', '{"object":"response"}']) {
        assert.throws(
          () => read(encoder.encode(body)),
          (error: unknown) => {
            assert.ok(error instanceof UpstreamError, body);
            assert.equal(error.status, 502);
            assert.equal(error.retryable, true);
            assert.equal(error.route, route.id);
            return true;
          },
        );
      }
    });

    test('a 200 carrying a failed response is the failure it names', () => {
      const failed = JSON.stringify({
        id: 'resp_1',
        object: 'response',
        status: 'failed',
        output: [],
        error: { code: 'invalid_prompt', message: 'Prompt flagged' },
      });
      assert.throws(
        () => read(encoder.encode(failed)),
        (error: unknown) => {
          assert.ok(error instanceof UpstreamError);
          assert.equal(error.status, 400);
          assert.equal(error.retryable, false);
          assert.equal(error.code, 'invalid_prompt');
          assert.match(error.message, /Prompt flagged/);
          return true;
        },
      );
    });

    test('a stream passes through byte for byte, each event parsed, its usage before the final piece, wherever it is cut', async () => {
      const bytes = RECORDED_RESPONSE_STREAM.bytes;
      const expected = decoder
        .decode(bytes)
        .split('\n\n')
        .filter((event) => event.includes('data: '))
        .map((event) => JSON.parse(event.slice(event.indexOf('data: ') + 6)) as unknown);
      const step = Math.max(1, Math.floor(bytes.length / 150));
      for (let cut = 0; cut <= bytes.length; cut += step) {
        const {
          bytes: output,
          values,
          usages,
          pieces,
        } = await collectResponsesStream(stream(replay(splitAt(bytes, cut, Math.floor((cut + bytes.length) / 2)))));
        assert.deepEqual(Buffer.from(output), Buffer.from(bytes), `cut at ${cut}`);
        assert.deepEqual(values, expected, `cut at ${cut}`);
        assert.deepEqual(usages, [RECORDED_RESPONSE_STREAM.usage], `cut at ${cut}`);
        assert.equal(pieces.at(-2)?.type, 'usage', `usage right before the final piece (cut at ${cut})`);
        const end = pieces.at(-1);
        assert.equal(end?.type === 'end' ? end.events.at(-1)?.type : null, 'response.completed', `cut at ${cut}`);
      }
    });

    test('events that arrive in one chunk leave as one view of the upstream bytes', async () => {
      const chunk = RECORDED_RESPONSE_STREAM.bytes.slice();
      const { pieces } = await collectResponsesStream(stream(replay([chunk])));
      assert.deepEqual(
        pieces.map((piece) => piece.type),
        ['usage', 'end'],
      );
      const end = pieces[1];
      assert.ok(end?.type === 'end');
      assert.equal(end.bytes.buffer, chunk.buffer);
      assert.equal(end.bytes.length, chunk.length);
    });

    test('a stream of data-only events (no event: lines) is read the same way', async () => {
      const dataOnly = decoder.decode(RECORDED_RESPONSE_STREAM.bytes).replace(/^event: .*\n/gm, '');
      const { bytes: output, usages } = await collectResponsesStream(stream(replay([encoder.encode(dataOnly)])));
      assert.equal(decoder.decode(output), dataOnly);
      assert.deepEqual(usages, [RECORDED_RESPONSE_STREAM.usage]);
    });

    test('response.incomplete ends the stream with its usage too', async () => {
      const text = decoder.decode(RECORDED_RESPONSE_STREAM.bytes).replaceAll('response.completed', 'response.incomplete');
      const { bytes: output, usages } = await collectResponsesStream(stream(replay([encoder.encode(text)])));
      assert.match(decoder.decode(output), /event: response\.incomplete\n[^\n]*\n\n$/);
      assert.deepEqual(usages, [RECORDED_RESPONSE_STREAM.usage]);
    });

    test('a stream that stops before its final event throws UpstreamConnectionError naming the route', async () => {
      const text = decoder.decode(RECORDED_RESPONSE_STREAM.bytes);
      const end = text.lastIndexOf('event: response.completed');
      for (const keep of [0, 1, Math.floor(end / 2), end, text.length - 3]) {
        const { pieces, error } = await drainFailing(replay([encoder.encode(text.slice(0, keep))]));
        assert.ok(error instanceof UpstreamConnectionError, `kept ${keep} characters`);
        assert.match(error.message, new RegExp(`route ${route.id}`));
        assert.ok(
          pieces.every((piece) => piece.type === 'events'),
          'neither usage nor end before the final event',
        );
      }
    });

    test('an event that is not JSON is an unreadable reply', async () => {
      const head = `${decoder.decode(RECORDED_RESPONSE_STREAM.bytes).split('\n\n').slice(0, 2).join('\n\n')}\n\n`;
      const { error } = await drainFailing(replay([encoder.encode(`${head}event: response.output_text.delta\ndata: {not json\n\n`)]));
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.code, 'invalid_upstream_response');
      assert.equal(error.route, route.id);
    });

    test('response.failed throws its mapped error after the events before it, and is not forwarded', async () => {
      const { pieces, error } = await drainFailing(replay(splitAt(RECORDED_RESPONSE_STREAM.failedBytes, 700)));
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.status, 500);
      assert.equal(error.retryable, true);
      assert.equal(error.code, 'server_error');
      assert.match(error.message, /The model failed to generate a response/);
      const forwarded = decoder.decode(Buffer.concat(pieces.flatMap((piece) => (piece.type === 'usage' ? [] : [piece.bytes]))));
      assert.match(forwarded, /response\.content_part\.added/);
      assert.doesNotMatch(forwarded, /response\.failed/);
    });

    const errorEvents: { name: string; event: string; status: number; retryable: boolean }[] = [
      {
        name: 'rate limit',
        event: 'event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"Rate limit reached","param":null,"sequence_number":2}\n\n',
        status: 429,
        retryable: true,
      },
      {
        name: 'invalid prompt',
        event: 'event: error\ndata: {"type":"error","code":"invalid_prompt","message":"Invalid prompt","param":"input","sequence_number":2}\n\n',
        status: 400,
        retryable: false,
      },
      {
        name: 'error envelope without event name',
        event: 'data: {"error":{"message":"Internal error","type":"server_error","code":null}}\n\n',
        status: 500,
        retryable: true,
      },
      { name: 'non-JSON error event', event: 'event: error\ndata: upstream broke\n\n', status: 500, retryable: true },
    ];
    for (const { name, event, status, retryable } of errorEvents) {
      test(`an error event (${name}) throws the mapped error`, async () => {
        const head = `${decoder.decode(RECORDED_RESPONSE_STREAM.bytes).split('\n\n').slice(0, 2).join('\n\n')}\n\n`;
        const { error } = await drainFailing(replay([encoder.encode(head + event)]));
        assert.ok(error instanceof UpstreamError, name);
        assert.equal(error.status, status, name);
        assert.equal(error.retryable, retryable, name);
        assert.equal(error.route, route.id);
      });
    }
  });
}
