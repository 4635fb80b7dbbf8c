// The contract every ProviderAdapter must keep, as one suite each adapter's test runs with its own route and
// recorded replies (as Hono's router tests share `common.case.test.ts`).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Route } from '../catalog/index.ts';
import { UpstreamConnectionError, UpstreamError, type ChatCompletionRequest, type Usage } from '../wire/index.ts';
import type { ChatStreamEvent, ProviderAdapter, UpstreamHeaders } from './provider-adapter.ts';
import { checkChatEventOrder, collectChatStream, replay, splitAt } from './replay-fixture.ts';
import { splitSseEvents } from './sse/index.ts';

export interface ProviderAdapterCaseOptions {
  adapter: ProviderAdapter;
  /** Names this run when one adapter is run with several routes (e.g. Azure's two API forms). */
  label?: string;
  route: Route;
  /** A recorded non-streaming chat reply and the usage it reports. */
  chat: { body: Uint8Array; usage: Usage };
  /** A recorded streamed chat reply (all its bytes) and the usage it reports. */
  stream: { bytes: Uint8Array; usage: Usage };
  /** A recorded error reply and the message the cloud put in it. */
  error: { status: number; headers: UpstreamHeaders; body: Uint8Array; message: string };
}

const decoder = new TextDecoder();

const plainRequest: ChatCompletionRequest = { model: 'crossway-model', messages: [{ role: 'user', content: 'Hi' }] };

/** Requests that try to steer the upstream URL through fields some SDKs or gateways use for it. */
const hostileRequests: { name: string; request: ChatCompletionRequest }[] = [
  { name: 'model with path traversal and query', request: { ...plainRequest, model: '../../x?y=1#z' } },
  { name: 'model that is an absolute URL', request: { ...plainRequest, model: 'https://evil.example/v1' } },
  {
    name: 'URL-ish body fields',
    request: {
      ...plainRequest,
      api_base: 'https://evil.example',
      base_url: 'https://evil.example',
      endpoint: 'https://evil.example',
      url: 'https://evil.example',
      deployment: '../../other',
      api_version: 'evil',
      'api-version': 'evil',
    },
  },
];

/** Runs the shared adapter contract against one adapter. */
export function runProviderAdapterCases(options: ProviderAdapterCaseOptions): void {
  const { adapter, route } = options;

  describe(`${adapter.name} adapter contract${options.label === undefined ? '' : ` (${options.label})`}`, () => {
    test('the upstream URL comes from the route only, whatever the request says', () => {
      const expected = adapter.prepareChat(plainRequest, route).url;
      assert.equal(new URL(expected).origin, new URL(route.endpoint).origin);
      for (const { name, request } of hostileRequests) {
        assert.equal(adapter.prepareChat(request, route).url, expected, name);
        assert.equal(adapter.prepareChat({ ...request, stream: true }, route).url, expected, `${name}, streaming`);
      }
      const embeddings = adapter.prepareEmbeddings({ model: 'crossway-model', input: 'x' }, route).url;
      assert.equal(new URL(embeddings).origin, new URL(route.endpoint).origin);
      assert.equal(adapter.prepareEmbeddings({ model: '../../x?y', input: 'x', api_base: 'https://evil.example' }, route).url, embeddings);
    });

    test('a chat reply gives the completion and its usage', () => {
      const result = adapter.readChat(options.chat.body, route);
      assert.deepEqual(result.completion.usage, options.chat.usage);
    });

    test('a streamed reply is chunks, then its usage once, then data: [DONE] last, wherever the chunks are cut', async () => {
      const bytes = options.stream.bytes;
      const step = Math.max(1, Math.floor(bytes.length / 200));
      for (let cut = 0; cut <= bytes.length; cut += step) {
        const { text, usages, events } = await collectChatStream(adapter.streamChat(replay(splitAt(bytes, cut)), route, { includeUsage: true }));
        assert.match(text, /data: \[DONE\]\s*$/, `cut at ${cut}`);
        assert.deepEqual(usages, [options.stream.usage], `cut at ${cut}`);
        const usageAt = events.findIndex((event) => event.type === 'usage');
        assert.ok(usageAt >= 0 && usageAt < events.length - 1, `usage before done (cut at ${cut})`);
        const usageEvent = events[usageAt] as Extract<ChatStreamEvent, { type: 'usage' }>;
        assert.match(new TextDecoder().decode(usageEvent.bytes ?? new Uint8Array()), /"choices":\[\]/, 'the usage event carries the usage chunk');
      }
    });

    test('without include_usage the usage is still an event, with no bytes for the client', async () => {
      const { text, usages, events } = await collectChatStream(adapter.streamChat(replay([options.stream.bytes]), route, { includeUsage: false }));
      assert.deepEqual(usages, [options.stream.usage]);
      assert.deepEqual(
        events.filter((event) => event.type === 'usage').map((event) => event.bytes),
        [null],
      );
      const asked = await collectChatStream(adapter.streamChat(replay([options.stream.bytes]), route, { includeUsage: true }));
      const usageChunk = asked.events.find((event) => event.type === 'usage')?.bytes ?? new Uint8Array();
      // Only the usage chunk is withheld, and the `"usage": null` members Crossway's own request for usage put there.
      assert.equal(text, asked.text.replace(decoder.decode(usageChunk), '').replaceAll(',"usage":null', ''));
    });

    // Translating adapters (Bedrock Converse) build their chunks and always send them parsed: see their own tests.
    test('OpenAI-wire chunks come parsed only when parseChunks asks, matching their bytes', async () => {
      for (const parseChunks of [false, true]) {
        const { events } = await collectChatStream(adapter.streamChat(replay([options.stream.bytes]), route, { includeUsage: true, parseChunks }));
        const pieces = events.filter((event) => event.type === 'chunks');
        assert.ok(pieces.length > 0);
        for (const piece of pieces) {
          if (!parseChunks) {
            assert.equal(piece.chunks, null, 'the pass-through parses nothing it need not');
            continue;
          }
          const data: unknown[] = [];
          for await (const event of splitSseEvents(replay([piece.bytes]))) if (event.data !== null) data.push(JSON.parse(event.data));
          assert.deepEqual(piece.chunks, data, `parseChunks ${parseChunks}`);
        }
      }
    });

    test('a stream that stops before its end marker throws UpstreamConnectionError naming the route, without done', async () => {
      const text = decoder.decode(options.stream.bytes);
      const end = text.lastIndexOf('data: [DONE]');
      for (const keep of [0, 1, Math.floor(end / 2), end]) {
        const truncated = options.stream.bytes.slice(0, Buffer.byteLength(text.slice(0, keep)));
        const events: ChatStreamEvent[] = [];
        await assert.rejects(
          (async () => {
            for await (const event of adapter.streamChat(replay([truncated]), route, { includeUsage: true })) events.push(event);
          })(),
          (error: unknown) => {
            assert.ok(error instanceof UpstreamConnectionError, `kept ${keep} characters`);
            assert.match(error.message, new RegExp(`route ${route.id}`));
            return true;
          },
        );
        checkChatEventOrder(events, false);
      }
    });

    test("an error reply keeps the cloud's message and status and names the route", () => {
      const { status, headers, body, message } = options.error;
      const error = adapter.readError(status, headers, body, route);
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.status, status);
      assert.equal(error.upstreamStatus, status);
      assert.equal(error.route, route.id);
      assert.ok(error.message.includes(message), error.message);
      assert.ok(error.message.includes(route.id), error.message);
    });
  });
}
