// Tests of the Bedrock adapter as a whole, for each API variant: URL rules (a request never changes the URL),
// replies, streams (also through a real HTTP server), errors, embeddings refusal and misconfigured routes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request as undiciRequest } from 'undici';
import { InvalidRequestError, UpstreamConnectionError, UpstreamError, type ChatCompletionRequest } from '../../wire/index.ts';
import { collectChatStream, readFixture, readSseFixture, replay, serveChunks, splitAt } from '../replay-fixture.ts';
import { runResponsesAdapterCases } from '../responses-adapter.case.test.ts';
import { makeTestRoute } from '../test-route.ts';
import { bedrockAdapter, createBedrockAdapter } from './bedrock-adapter.ts';
import { encodeBedrockEventStream, encodeBedrockFrame, readBedrockFrames } from './encode-bedrock-event-stream.ts';

const fixtureUrl = (name: string) => new URL(`./__fixtures__/${name}`, import.meta.url);
const decoder = new TextDecoder();
const plain: ChatCompletionRequest = { model: 'gpt-oss', messages: [{ role: 'user', content: 'Hi' }] };

const routes = {
  converse: makeTestRoute({
    id: 'bedrock-us-west-2-gpt-oss',
    model: 'gpt-oss',
    provider: 'bedrock',
    endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com',
    region: 'us-west-2',
    deployment: 'openai.gpt-oss-120b-1:0',
    auth: { type: 'sigv4' },
  }),
  openai: makeTestRoute({
    id: 'bedrock-runtime-openai',
    model: 'gpt-oss',
    provider: 'bedrock',
    endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com',
    region: 'us-west-2',
    deployment: 'openai.gpt-oss-120b-1:0',
    api: 'openai',
    auth: { type: 'bearer', key: 'ABSK-bedrock-api-key' },
  }),
  mantle: makeTestRoute({
    id: 'bedrock-mantle-gpt',
    model: 'gpt-oss',
    provider: 'bedrock',
    endpoint: 'https://bedrock-mantle.us-east-2.api.aws',
    region: 'us-east-2',
    deployment: 'openai.gpt-oss-120b',
    api: 'mantle',
    auth: { type: 'bearer', key: 'ABSK-bedrock-api-key' },
  }),
};

/** Requests that try to steer the upstream URL (as in provider-adapter.case.test.ts). */
const hostile: ChatCompletionRequest[] = [
  { ...plain, model: '../../x?y=1#z' },
  { ...plain, model: 'https://evil.example/v1' },
  { ...plain, api_base: 'https://evil.example', endpoint: 'https://evil.example', deployment: '../../other', modelId: 'evil', api: 'mantle' },
];

describe('bedrockAdapter URLs', () => {
  const expected: Record<keyof typeof routes, { url: string; stream: string }> = {
    converse: {
      url: 'https://bedrock-runtime.us-west-2.amazonaws.com/model/openai.gpt-oss-120b-1%3A0/converse',
      stream: 'https://bedrock-runtime.us-west-2.amazonaws.com/model/openai.gpt-oss-120b-1%3A0/converse-stream',
    },
    openai: {
      url: 'https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1/chat/completions',
      stream: 'https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1/chat/completions',
    },
    mantle: {
      url: 'https://bedrock-mantle.us-east-2.api.aws/v1/chat/completions',
      stream: 'https://bedrock-mantle.us-east-2.api.aws/v1/chat/completions',
    },
  };
  for (const [api, route] of Object.entries(routes) as [keyof typeof routes, (typeof routes)[keyof typeof routes]][]) {
    test(`api ${api}: the URL comes from the route only, whatever the request says`, () => {
      assert.equal(bedrockAdapter.prepareChat(plain, route).url, expected[api].url);
      for (const request of hostile) {
        assert.equal(bedrockAdapter.prepareChat(request, route).url, expected[api].url);
        assert.equal(bedrockAdapter.prepareChat({ ...request, stream: true }, route).url, expected[api].stream);
      }
    });
  }

  const variants: { name: string; route: Record<string, unknown>; url: string }[] = [
    { name: 'an endpoint with a trailing slash', route: { endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com/' }, url: expected.converse.url },
    {
      name: 'an inference profile ARN: ":" and "/" encoded',
      route: { deployment: 'arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0' },
      url:
        'https://bedrock-runtime.us-west-2.amazonaws.com/model/' +
        'arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse',
    },
    {
      name: "characters encodeURIComponent leaves alone ('()*!) are encoded as botocore does",
      route: { deployment: "m(1)*!'" },
      url: 'https://bedrock-runtime.us-west-2.amazonaws.com/model/m%281%29%2A%21%27/converse',
    },
    {
      name: 'openai: an endpoint that already ends in /openai/v1',
      route: { api: 'openai', endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1/' },
      url: expected.openai.url,
    },
    {
      name: 'mantle: an endpoint that already ends in /v1',
      route: { api: 'mantle', endpoint: 'https://bedrock-mantle.us-east-2.api.aws/v1' },
      url: expected.mantle.url,
    },
  ];
  for (const item of variants) {
    test(item.name, () => {
      assert.equal(bedrockAdapter.prepareChat(plain, { ...routes.converse, ...item.route }).url, item.url);
    });
  }

  const misconfigured: { name: string; route: Record<string, unknown> }[] = [
    { name: 'unknown api', route: { api: 'invoke' } },
    { name: 'a model id that is a dot segment', route: { deployment: '..' } },
    { name: 'a model id that is an encoded dot segment', route: { deployment: '%2e%2E' } },
  ];
  for (const item of misconfigured) {
    test(`misconfigured route (${item.name}) is a retryable route_misconfigured error`, () => {
      assert.throws(
        () => bedrockAdapter.prepareChat(plain, { ...routes.converse, ...item.route }),
        (error: unknown) => error instanceof UpstreamError && error.code === 'route_misconfigured' && error.retryable && error.route === routes.converse.id,
      );
    });
  }
});

describe('bedrockAdapter on OpenAI-compatible endpoints (api openai, mantle)', () => {
  for (const route of [routes.openai, routes.mantle]) {
    test(`${route.api}: the OpenAI body with model = the Bedrock model id, usage forced on streams`, () => {
      const prepared = bedrockAdapter.prepareChat({ ...plain, stream: true, temperature: 0.3, reasoning_effort: 'low' }, route);
      assert.deepEqual(JSON.parse(prepared.body ?? ''), {
        ...plain,
        model: route.deployment,
        stream: true,
        temperature: 0.3,
        reasoning_effort: 'low',
        stream_options: { include_usage: true },
      });
      assert.equal(prepared.headers.accept, 'text/event-stream');
    });

    test(`${route.api}: the reply passes through as bytes`, () => {
      const body = readFixture(fixtureUrl('bedrock-openai-chat.json'));
      const result = bedrockAdapter.readChat(body, route);
      assert.equal(result.passthroughBody, body);
      assert.deepEqual(result.completion.usage, { prompt_tokens: 18, completion_tokens: 21, total_tokens: 39 });
    });

    test(`${route.api}: the SSE stream passes through and reports usage`, async () => {
      const bytes = readSseFixture(fixtureUrl('bedrock-openai-chat-stream.chunks.txt'));
      const { text, usages, events } = await collectChatStream(bedrockAdapter.streamChat(replay(splitAt(bytes, 100)), route, { includeUsage: true }));
      assert.equal(text, decoder.decode(bytes));
      assert.ok(
        events.every((event) => event.type !== 'chunks' || event.chunks === null),
        'passed through unparsed',
      );
      assert.deepEqual(usages, [{ prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 }]);
    });

    test(`${route.api}: AWS-shaped errors are read with the Bedrock rules`, () => {
      const error = bedrockAdapter.readError(
        429,
        { 'x-amzn-errortype': 'ThrottlingException' },
        readFixture(fixtureUrl('bedrock-error-429-throttling.json')),
        route,
      );
      assert.equal(error.code, 'ThrottlingException');
      assert.equal(error.retryable, true);
      assert.ok(error.message.endsWith(`(route ${route.id})`));
    });
  }
});

describe('bedrockAdapter on Converse', () => {
  const adapter = createBedrockAdapter({ now: () => 1_754_577_600_500, createId: () => 'chatcmpl-test' });

  test('a reply is stamped with the id, the time in seconds and the Bedrock model id', () => {
    const { completion, passthroughBody } = adapter.readChat(readFixture(fixtureUrl('bedrock-converse.json')), routes.converse);
    assert.equal(passthroughBody, undefined, 'a translated reply is serialised by the gateway');
    assert.equal(completion.id, 'chatcmpl-test');
    assert.equal(completion.created, 1_754_577_600);
    assert.equal(completion.model, 'openai.gpt-oss-120b-1:0');
    assert.deepEqual(completion.usage, { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21, prompt_tokens_details: { cached_tokens: 0 } });
  });

  test('the default adapter makes a fresh chatcmpl- id per reply', () => {
    const body = readFixture(fixtureUrl('bedrock-converse.json'));
    const first = bedrockAdapter.readChat(body, routes.converse).completion.id;
    const second = bedrockAdapter.readChat(body, routes.converse).completion.id;
    assert.match(first, /^chatcmpl-[0-9a-f]{32}$/);
    assert.notEqual(first, second);
  });

  test('answerModel: translated Converse chunks and OpenAI-wire pass-through chunks name it, not the Bedrock id', async () => {
    const answerModel = () => 'gpt-oss-120b';
    const frames = readBedrockFrames(fixtureUrl('bedrock-converse-stream-tool-use.json')).map(encodeBedrockFrame);
    const converse = await collectChatStream(adapter.streamChat(replay(frames), routes.converse, { includeUsage: true, answerModel }));
    const chunks = converse.events.flatMap((event) => (event.type === 'chunks' ? (event.chunks ?? []) : []));
    assert.ok(chunks.length > 0);
    for (const chunk of chunks) assert.equal(chunk.model, 'gpt-oss-120b');
    assert.doesNotMatch(converse.text, /openai\.gpt-oss-120b-1:0/);
    const bytes = readSseFixture(fixtureUrl('bedrock-openai-chat-stream.chunks.txt'));
    const openaiWire = await collectChatStream(bedrockAdapter.streamChat(replay([bytes]), routes.openai, { includeUsage: true, answerModel }));
    for (const line of openaiWire.text.split('\n').filter((text) => text.startsWith('data: {'))) {
      assert.equal((JSON.parse(line.slice(6)) as { model?: string }).model, 'gpt-oss-120b');
    }
  });

  test('a stream served by a real HTTP server, frame by frame, translates to parsed chunks, its usage, then [DONE]', async () => {
    const frames = readBedrockFrames(fixtureUrl('bedrock-converse-stream-tool-use.json')).map(encodeBedrockFrame);
    const server = await serveChunks(frames);
    try {
      const response = await undiciRequest(server.url);
      const { text: output, usages, events } = await collectChatStream(adapter.streamChat(response.body, routes.converse, { includeUsage: false }));
      assert.deepEqual(
        events.slice(-2).map((event) => event.type),
        ['usage', 'done'],
      );
      for (const event of events) {
        if (event.type !== 'chunks') continue;
        assert.ok(event.chunks !== null && event.chunks.length > 0, 'translated chunks come parsed');
        assert.equal(decoder.decode(event.bytes), event.chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join(''));
      }
      assert.match(output, /^data: \{"id":"chatcmpl-test","object":"chat.completion.chunk","created":1754577600,"model":"openai.gpt-oss-120b-1:0"/);
      assert.match(output, /"finish_reason":"tool_calls"/);
      assert.match(output, /data: \[DONE\]\n\n$/);
      assert.equal(usages.length, 1);
    } finally {
      await server.close();
    }
  });

  test('a truncated stream is UpstreamConnectionError naming the route', async () => {
    const bytes = encodeBedrockEventStream(fixtureUrl('bedrock-converse-stream-text.json'));
    await assert.rejects(
      collectChatStream(adapter.streamChat(replay([bytes.slice(0, bytes.length - 10)]), routes.converse, { includeUsage: true })),
      (error: unknown) => error instanceof UpstreamConnectionError && error.route === routes.converse.id,
    );
  });

  test('an error reply keeps the message and status and names the route', () => {
    const error = adapter.readError(
      400,
      { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
      readFixture(fixtureUrl('bedrock-error-400-validation.json')),
      routes.converse,
    );
    assert.equal(error.status, 400);
    assert.equal(error.retryable, false);
    assert.match(error.message, /Input is too long for requested model\. \(route bedrock-us-west-2-gpt-oss\)$/);
  });
});

describe('bedrockAdapter embeddings', () => {
  for (const route of Object.values(routes)) {
    test(`api ${route.api ?? 'converse'}: a 400 naming the route (Bedrock embeddings need InvokeModel)`, () => {
      for (const call of [
        () => bedrockAdapter.prepareEmbeddings({ model: 'titan', input: 'x' }, route),
        () => bedrockAdapter.readEmbeddings(new Uint8Array(), route),
      ]) {
        assert.throws(call, (error: unknown) => {
          assert.ok(error instanceof InvalidRequestError);
          assert.equal(error.status, 400);
          assert.match(error.message, new RegExp(`\\(route ${route.id}\\)$`));
          return true;
        });
      }
    });
  }

  test('an unknown api is still the route configuration error', () => {
    assert.throws(
      () => bedrockAdapter.prepareEmbeddings({ model: 'm', input: 'x' }, { ...routes.converse, api: 'invoke' }),
      (error: unknown) => error instanceof UpstreamError && error.code === 'route_misconfigured',
    );
  });
});

runResponsesAdapterCases({
  adapter: bedrockAdapter,
  label: 'api mantle',
  route: routes.mantle,
  url: 'https://bedrock-mantle.us-east-2.api.aws/v1/responses',
  model: 'openai.gpt-oss-120b',
});

runResponsesAdapterCases({
  adapter: bedrockAdapter,
  label: 'api openai (bedrock-runtime)',
  route: routes.openai,
  url: 'https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1/responses',
  model: 'openai.gpt-oss-120b-1:0',
});

describe('bedrockAdapter native Responses on Converse', () => {
  test('is not offered, and a call anyway is a route configuration error', () => {
    assert.equal(bedrockAdapter.responses?.supports(routes.converse), false);
    assert.throws(
      () => bedrockAdapter.responses?.prepare({ model: 'x', input: 'Hi' }, routes.converse),
      (error: unknown) => {
        assert.ok(error instanceof UpstreamError);
        assert.equal(error.code, 'route_misconfigured');
        return true;
      },
    );
  });
});
