// The Bedrock adapter's native Responses calls against the Bedrock emulator, through the real executor and SigV4
// authenticator: the two Mantle paths AWS serves the Responses API on (`/v1` for gpt-oss, `/openai/v1` for GPT-5.5, the
// endpoint then naming that base), JSON and streamed,
// with a stateless body (store: false, no previous_response_id) reaching the emulator. In test/, because the
// emulators are independent witnesses and never import the adapters.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { routeSchema, type Route } from '../src/catalog/index.ts';
import { BEDROCK_EMULATOR_ACCESS_KEY_ID, BEDROCK_EMULATOR_SECRET_ACCESS_KEY, BedrockEmulator } from '../src/emulators/index.ts';
import { Executor, type ResponsesBodies } from '../src/execute/index.ts';
import { createAuthenticator, getProviderAdapter } from '../src/providers/index.ts';
import type { ChatCompletionRequest } from '../src/wire/index.ts';

const emulator = new BedrockEmulator();
const families = [
  { name: 'bedrock-mantle /v1', model: 'openai.gpt-oss-120b', api: 'mantle', base: '' },
  { name: 'bedrock-mantle /openai/v1', model: 'openai.gpt-5.5', api: 'mantle', base: '/openai/v1' },
];

describe('Bedrock native Responses calls against the Bedrock emulator', () => {
  before(() => emulator.start());
  after(() => emulator.close());
  describe('through the Bedrock adapter and the executor', () => {
    beforeEach(() => emulator.clearRequests());

    /** A Bedrock route on the emulator declaring the `responses` capability, signed with the emulator's keys. */
    const routeFor = (family: (typeof families)[number]): Route =>
      routeSchema.parse({
        id: `bedrock-${family.api}`,
        model: 'crossway-model',
        provider: 'bedrock',
        api: family.api,
        endpoint: `${emulator.url}${family.base}`,
        deployment: family.model,
        capabilities: ['responses'],
        auth: { type: 'sigv4', region: 'us-east-1', access_key_id: BEDROCK_EMULATOR_ACCESS_KEY_ID, secret_access_key: BEDROCK_EMULATOR_SECRET_ACCESS_KEY },
      });
    // The caller's body asks for state; the adapter must send a stateless one.
    const bodies: ResponsesBodies = () => ({
      native: {
        model: 'crossway-model',
        instructions: 'Be brief.',
        input: [{ role: 'user', content: 'Hello Bedrock' }],
        store: true,
        previous_response_id: 'resp_x',
      },
      chat: { model: 'crossway-model', messages: [{ role: 'user', content: 'Hello Bedrock' }] } as unknown as ChatCompletionRequest,
    });

    it('answers natively on both paths, JSON and streamed, with store: false reaching the emulator', async () => {
      const executor = new Executor({
        attemptTimeoutMs: 5_000,
        streamIdleTimeoutMs: 5_000,
        maxAttempts: 1,
        adapterFor: () => getProviderAdapter('bedrock'),
        authenticatorFor: (route) => createAuthenticator(route),
      });
      try {
        for (const family of families) {
          const route = routeFor(family);
          const signal = new AbortController().signal;
          const executed = await executor.responses(bodies, [route], { signal, model: 'crossway-model' });
          assert.ok(executed.value.kind === 'native', family.name);
          assert.equal(executed.value.response.model, family.model);
          assert.match(JSON.stringify(executed.value.response.output), /Emulated reply from bedrock to 2 messages\./);
          assert.ok((executed.value.usage?.total_tokens ?? 0) > 0);
          const streamed = await executor.responsesStream(bodies, [route], { signal, model: 'crossway-model' });
          assert.ok(streamed.value.kind === 'native');
          let text = '';
          let totalTokens = 0;
          for await (const event of streamed.value.events) {
            if (event.type === 'usage') totalTokens = event.usage.total_tokens;
            else text += new TextDecoder().decode(event.bytes);
          }
          assert.match(text, /event: response\.completed\n/);
          assert.ok(totalTokens > 0);
        }
        const seen = emulator.requests().map((entry) => {
          const body = entry.body as Record<string, unknown>;
          return [entry.path, entry.status, body.model, body.store, body.stream === true, 'previous_response_id' in body, 'x-amz-date' in entry.headers];
        });
        assert.deepEqual(seen, [
          ['/v1/responses', 200, 'openai.gpt-oss-120b', false, false, false, true],
          ['/v1/responses', 200, 'openai.gpt-oss-120b', false, true, false, true],
          ['/openai/v1/responses', 200, 'openai.gpt-5.5', false, false, false, true],
          ['/openai/v1/responses', 200, 'openai.gpt-5.5', false, true, false, true],
        ]);
      } finally {
        await executor.close();
      }
    });
  });
});
