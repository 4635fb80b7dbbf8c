import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { imageHeaders, toDataUrl } from '../../test/support/build-image-headers.ts';
import { createTokenCounter, TOKEN_COUNT_WORK_BUDGET } from '../metering/index.ts';
import { chatCompletionRequestSchema, embeddingRequestSchema } from '../wire/index.ts';
import type { RequestNeeds } from './plan-types.ts';
import { deriveEmbeddingNeeds, deriveRequestNeeds } from './derive-request-needs.ts';

const chat = (body: Record<string, unknown>) =>
  chatCompletionRequestSchema.parse({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hello' }], ...body });
const plainTokens = 3 + 3 + countTokens('user') + countTokens('Hello');

describe('deriveRequestNeeds', () => {
  const cases: { name: string; body: Record<string, unknown>; capabilities?: string[]; parameters?: string[]; maxOutputTokens?: number | null }[] = [
    { name: 'a plain request needs nothing', body: {}, capabilities: [], parameters: [], maxOutputTokens: null },
    {
      name: 'tools -> tools',
      body: { tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }] },
      capabilities: ['tools'],
      parameters: ['tools'],
    },
    { name: 'an empty tools list needs no tools', body: { tools: [] }, capabilities: [] },
    {
      name: 'an image part -> vision',
      body: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            ],
          },
        ],
      },
      capabilities: ['vision'],
    },
    {
      name: 'json_schema response format -> json_schema (json_object needs nothing)',
      body: { response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' } } } },
      capabilities: ['json_schema'],
      parameters: ['response_format'],
    },
    { name: 'json_object needs no capability', body: { response_format: { type: 'json_object' } }, capabilities: [] },
    {
      name: 'stream -> streaming; stream is not a parameter',
      body: { stream: true, stream_options: { include_usage: true } },
      capabilities: ['streaming'],
      parameters: ['stream_options'],
    },
    {
      name: 'max_completion_tokens first',
      body: { max_completion_tokens: 100, max_tokens: 50 },
      maxOutputTokens: 100,
      parameters: ['max_completion_tokens', 'max_tokens'],
    },
    { name: 'else max_tokens', body: { max_tokens: 50 }, maxOutputTokens: 50 },
    {
      name: 'parameters: set fields, not null ones, never crossway',
      body: { temperature: 0.2, n: 2, top_p: null, logprobs: true, crossway: { regions: ['eu'] } },
      parameters: ['logprobs', 'n', 'temperature'],
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const needs = deriveRequestNeeds(chat(testCase.body));
      if (testCase.capabilities !== undefined) assert.deepEqual(needs.capabilities, testCase.capabilities);
      if (testCase.parameters !== undefined) assert.deepEqual(needs.parameters, testCase.parameters);
      if (testCase.maxOutputTokens !== undefined) assert.equal(needs.maxOutputTokens, testCase.maxOutputTokens);
    });
  }

  it('counts message text with per-message framing (o200k_base)', () => {
    assert.equal(exactTokens(deriveRequestNeeds(chat({}))), plainTokens);
  });

  it('counts tool definitions, tool calls and tool results', () => {
    const withTools = deriveRequestNeeds(
      chat({
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
          { role: 'tool', tool_call_id: 'c1', content: '{"temp":21}' },
        ],
        tools: [
          {
            type: 'function',
            function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
          },
        ],
      }),
    );
    const expectedText =
      3 +
      3 * 3 +
      countTokens('user') +
      countTokens('assistant') +
      countTokens('tool') +
      countTokens('Weather in Paris?') +
      countTokens('get_weather') +
      countTokens('{"city":"Paris"}') +
      countTokens('{"temp":21}') +
      countTokens(
        JSON.stringify({ name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }),
      );
    assert.equal(exactTokens(withTools), expectedText);
  });

  it('counts text that spells special tokens as plain text', () => {
    const needs = deriveRequestNeeds(chat({ messages: [{ role: 'user', content: 'ignore <|endoftext|> this' }] }));
    assert.ok(exactTokens(needs) > 6);
  });

  it('counts images as OpenAI bills them, from a data URL header only, the bound covering every billing scheme', () => {
    const png = toDataUrl(imageHeaders.png(2048, 4096), 'image/png', 15 * 1024 * 1024);
    const corrupt = `data:image/png;base64,${'A'.repeat(20 * 1024 * 1024)}`;
    const request = chat({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: png } },
            { type: 'image_url', image_url: { url: png, detail: 'low' } },
            { type: 'image_url', image_url: { url: corrupt } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'high' } },
          ],
        },
      ],
    });
    deriveRequestNeeds(request).exactInputTokens?.();
    const started = performance.now();
    for (let index = 0; index < 20; index++) deriveRequestNeeds(request).exactInputTokens?.();
    // 20 decodes of the 35 MB of base64 would take seconds.
    assert.ok(performance.now() - started < 500, 'image data must not be decoded, tokenized or serialized');
    const needs = deriveRequestNeeds(request);
    // 2048 x 4096: 6 tiles (1105); low: 85; corrupt data and a remote URL: the largest image, 8 tiles (1445).
    assert.equal(exactTokens(needs), 3 + 3 + countTokens('user') + 1105 + 85 + 1445 + 1445);
    // The bound: 1536 patches at the largest multiplier (3779) for each of these large or unknown images.
    assert.equal(needs.inputTokens, 3 + 3 + Buffer.byteLength('user') + 4 * 3779);
    assert.deepEqual(needs.capabilities, ['vision']);
  });

  it('bounds the exact count of a huge request by one work budget, counting the rest as bytes (never fewer tokens)', () => {
    // 40 messages of 20,000 letters without a space and 40 of 20,000 CJK characters: quadratic merges before.
    const letters = 'abcdefghijklmnopqrstuvwxyz'.repeat(800).slice(0, 20_000);
    const cjk = '漢字仮名交じり文'.repeat(2_500);
    const messages = Array.from({ length: 80 }, (_, index) => ({ role: 'user', content: index % 2 === 0 ? letters : cjk }));
    const counter = createTokenCounter();
    const needs = deriveRequestNeeds(chat({ messages }), counter);
    const exact = needs.exactInputTokens?.() ?? 0;
    assert.ok(counter.work <= TOKEN_COUNT_WORK_BUDGET);
    assert.equal(counter.exact, false);
    assert.ok(exact <= needs.inputTokens && exact >= 40 * countTokens(letters.slice(0, 100)) * 200, `${exact} counted`);
  });

  it('measures ahead (in slices) the same count as on the spot, texts, tools and images in their order', async () => {
    const request = chat({
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: toDataUrl(imageHeaders.gif(1024, 2048), 'image/gif') } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'look', arguments: '{"zoom":2}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'A cat.' },
      ],
      tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object' } } }],
    });
    const measured = deriveRequestNeeds(request);
    await measured.measureExactInputTokens?.();
    assert.equal(measured.exactInputTokens?.(), exactTokens(deriveRequestNeeds(request)));
    const embeddings = deriveEmbeddingNeeds(embeddingRequestSchema.parse({ model: 'e', input: ['short', 'a longer input text'] }));
    await embeddings.measureExactInputTokens?.();
    assert.equal(embeddings.exactInputTokens?.(), countTokens('a longer input text'));
  });

  it('counts exactly across texts while one shared counter has budget', () => {
    const counter = createTokenCounter();
    const needs = deriveRequestNeeds(chat({ messages: [{ role: 'user', content: 'Hello' }] }), counter);
    assert.equal(needs.exactInputTokens?.(), plainTokens);
    assert.equal(counter.exact, true);
    assert.ok(counter.work > 0);
  });
});

describe('deriveEmbeddingNeeds', () => {
  const embed = (body: Record<string, unknown>) => embeddingRequestSchema.parse({ model: 'text-embedding-3-small', ...body });
  const cases: { name: string; body: Record<string, unknown>; inputTokens: number; parameters?: string[] }[] = [
    { name: 'one string', body: { input: 'hello world' }, inputTokens: countTokens('hello world') },
    {
      name: 'the longest of several strings (the context bounds each input)',
      body: { input: ['a', 'a much longer input text here'] },
      inputTokens: countTokens('a much longer input text here'),
    },
    { name: 'a token array', body: { input: [1, 2, 3, 4] }, inputTokens: 4 },
    {
      name: 'the longest token array',
      body: {
        input: [
          [1, 2],
          [1, 2, 3],
        ],
      },
      inputTokens: 3,
    },
    {
      name: 'parameters without model and input',
      body: { input: 'x', dimensions: 256, encoding_format: 'base64' },
      inputTokens: 1,
      parameters: ['dimensions', 'encoding_format'],
    },
  ];
  for (const { name, body, inputTokens, parameters } of cases) {
    it(name, () => {
      const needs = deriveEmbeddingNeeds(embed(body));
      assert.deepEqual(needs.capabilities, ['embeddings']);
      assert.equal(exactTokens(needs), inputTokens);
      assert.equal(needs.maxOutputTokens, null);
      if (parameters !== undefined) assert.deepEqual(needs.parameters, parameters);
    });
  }
});

describe('billing bounds', () => {
  it("counts chat's n as choices (1 when absent)", () => {
    assert.equal(deriveRequestNeeds(chat({ n: 128 })).choices, 128);
    assert.equal(deriveRequestNeeds(chat({})).choices, 1);
  });

  it('bills an embeddings batch for every input, the context for the longest only', () => {
    const embed = (input: unknown) => deriveEmbeddingNeeds(embeddingRequestSchema.parse({ model: 'text-embedding-3-small', input }));
    const inputs = ['a short one', 'a much longer input text than the others', 'mid length input'];
    const alone = inputs.map((input) => embed(input).inputTokens);
    const needs = embed(inputs);
    assert.equal(needs.inputTokens, Math.max(...alone));
    assert.equal(
      needs.billedInputTokens,
      alone.reduce((sum, tokens) => sum + tokens, 0),
    );
    const arrays = deriveEmbeddingNeeds(
      embeddingRequestSchema.parse({
        model: 'text-embedding-3-small',
        input: [
          [1, 2],
          [1, 2, 3],
        ],
      }),
    );
    assert.equal(arrays.billedInputTokens, 5);
  });
});

/** The exact count, after checking that the cheap figure is an upper bound of it. */
function exactTokens(needs: RequestNeeds): number {
  const exact = needs.exactInputTokens?.() ?? needs.inputTokens;
  assert.ok(needs.inputTokens >= exact, `upper bound ${needs.inputTokens} >= exact ${exact}`);
  return exact;
}
