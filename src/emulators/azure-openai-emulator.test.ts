// The Azure OpenAI emulator: both URL forms, auth, api-version rules, deployments, content filtering, Azure's
// annotations and 429 headers, the v1 Responses API, and the openai package's AzureOpenAI client.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { AzureOpenAI } from 'openai';
import { AZURE_CONTENT_FILTER_MARKER, AZURE_EMULATOR_API_KEY, AZURE_EMULATOR_ENTRA_TOKEN, AzureOpenAIEmulator } from './azure-openai-emulator.ts';
import { runResponsesEmulatorCases } from './openai-responses.case.test.ts';

const emulator = new AzureOpenAIEmulator();
const keyHeaders = { 'api-key': AZURE_EMULATOR_API_KEY, 'content-type': 'application/json' };
const chatBody = { messages: [{ role: 'user', content: 'Hello Azure' }] };
const deploymentsChat = '/openai/deployments/gpt-5.5/chat/completions';

async function post(path: string, body: unknown, headers: Record<string, string> = keyHeaders): Promise<{ status: number; json: any; response: Response }> {
  const response = await fetch(`${emulator.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, json: response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text, response };
}

const ACCESS_DENIED = {
  error: {
    code: '401',
    message:
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a ' +
      'correct regional API endpoint for your resource.',
  },
};
const SAFE = { filtered: false, severity: 'safe' };

describe('AzureOpenAIEmulator', () => {
  before(() => emulator.start());
  after(() => emulator.close());
  afterEach(() => emulator.clearFaults());

  describe('auth', () => {
    it('denies a missing or unknown api-key with Azure exact body', async () => {
      const url = `${deploymentsChat}?api-version=2024-10-21`;
      for (const headers of [{ 'content-type': 'application/json' }, { ...keyHeaders, 'api-key': 'wrong' }]) {
        const { status, json, response } = await post(url, chatBody, headers);
        assert.equal(status, 401);
        assert.deepEqual(json, ACCESS_DENIED);
        assert.equal(response.headers.get('x-crossway-emulator'), 'azure');
      }
    });

    it('accepts an Entra ID bearer token and denies an unknown one in the token error shape', async () => {
      const url = `${deploymentsChat}?api-version=2024-10-21`;
      const ok = await post(url, chatBody, { authorization: `Bearer ${AZURE_EMULATOR_ENTRA_TOKEN}`, 'content-type': 'application/json' });
      assert.equal(ok.status, 200);
      const denied = await post(url, chatBody, { authorization: 'Bearer nope', 'content-type': 'application/json' });
      assert.equal(denied.status, 401);
      assert.deepEqual(denied.json, {
        statusCode: 401,
        message: 'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.',
      });
    });
  });

  describe('api-version', () => {
    const cases: { name: string; path: string; status: number; body?: unknown }[] = [
      { name: 'deployments form without api-version', path: deploymentsChat, status: 404, body: { error: { code: '404', message: 'Resource not found' } } },
      {
        name: 'deployments form with an unknown version',
        path: `${deploymentsChat}?api-version=2023-13-01`,
        status: 404,
        body: { error: { code: '404', message: 'Resource not found' } },
      },
      { name: 'deployments form with a GA version', path: `${deploymentsChat}?api-version=2024-10-21`, status: 200 },
      { name: 'deployments form with a preview version', path: `${deploymentsChat}?api-version=2025-04-01-preview`, status: 200 },
      { name: 'v1 form without api-version', path: '/openai/v1/chat/completions', status: 200 },
      { name: 'v1 form with api-version=v1', path: '/openai/v1/chat/completions?api-version=v1', status: 200 },
      { name: 'v1 form with api-version=preview', path: '/openai/v1/chat/completions?api-version=preview', status: 200 },
      {
        name: 'v1 form with a dated version',
        path: '/openai/v1/chat/completions?api-version=2024-10-21',
        status: 400,
        body: { error: { code: 'BadRequest', message: 'API version not supported' } },
      },
    ];
    for (const { name, path, status, body } of cases) {
      it(`${name} -> ${status}`, async () => {
        const result = await post(path, { ...chatBody, model: 'gpt-5.5' });
        assert.equal(result.status, status);
        if (body !== undefined) assert.deepEqual(result.json, body);
      });
    }
  });

  describe('deployments', () => {
    const notFound = {
      error: {
        code: 'DeploymentNotFound',
        message:
          'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
      },
    };

    it('answers an unknown deployment with DeploymentNotFound on both forms', async () => {
      assert.deepEqual((await post('/openai/deployments/gpt-0/chat/completions?api-version=2024-10-21', chatBody)).json, notFound);
      const v1 = await post('/openai/v1/chat/completions', { ...chatBody, model: 'gpt-0' });
      assert.equal(v1.status, 404);
      assert.deepEqual(v1.json, notFound);
    });

    it('refuses chat on an embedding deployment', async () => {
      const { status, json } = await post('/openai/deployments/text-embedding-3-small/chat/completions?api-version=2024-10-21', chatBody);
      assert.equal(status, 400);
      assert.equal(json.error.code, 'OperationNotSupported');
    });

    it('lists the deployed models on the v1 form', async () => {
      const list = (await (await fetch(`${emulator.url}/openai/v1/models`, { headers: keyHeaders })).json()) as { data: { id: string }[] };
      assert.deepEqual(
        list.data.map((model) => model.id),
        ['gpt-5.5', 'gpt-5.6', 'text-embedding-3-small'],
      );
    });
  });

  describe('chat completions', () => {
    it('returns the versioned model name and Azure content-filter annotations', async () => {
      const { json, response } = await post(`${deploymentsChat}?api-version=2024-10-21`, chatBody);
      assert.ok(response.headers.get('apim-request-id'));
      assert.equal(json.model, 'gpt-5.5-2026-04-23');
      assert.match(json.choices[0].message.content, /^Emulated reply from azure/);
      assert.deepEqual(json.choices[0].content_filter_results, { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE });
      assert.deepEqual(json.prompt_filter_results[0].content_filter_results.violence, SAFE);
      assert.equal(json.prompt_filter_results[0].prompt_index, 0);
    });

    it('streams a prelude chunk with the prompt filter results, then annotated content chunks', async () => {
      const { json: text } = await post(`${deploymentsChat}?api-version=2024-10-21`, { ...chatBody, stream: true });
      const events = (text as string).split('\n\n').filter((event) => event !== '');
      assert.equal(events.at(-1), 'data: [DONE]');
      const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice(6)));
      assert.deepEqual(
        { ...chunks[0], prompt_filter_results: undefined },
        { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: undefined },
      );
      assert.equal(chunks[0].prompt_filter_results.length, 1);
      const content = chunks.slice(1).filter((chunk) => chunk.choices[0].delta.content);
      assert.ok(content.length >= 3);
      assert.ok(content.every((chunk) => chunk.choices[0].content_filter_results.hate.severity === 'safe'));
      assert.deepEqual(chunks[1].choices[0].content_filter_results, {});
      assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
    });

    it('blocks a prompt with the content-filter marker with Azure exact 400', async () => {
      const { status, json } = await post(`${deploymentsChat}?api-version=2024-10-21`, {
        messages: [{ role: 'user', content: 'please [[content-filter]] this' }],
      });
      assert.equal(status, 400);
      assert.equal(json.error.code, 'content_filter');
      assert.equal(json.error.param, 'prompt');
      assert.equal(json.error.status, 400);
      assert.equal(json.error.type, null);
      assert.match(json.error.message, /^The response was filtered due to the prompt triggering Azure OpenAI's content management policy\./);
      assert.equal(json.error.innererror.code, 'ResponsibleAIPolicyViolation');
      assert.deepEqual(json.error.innererror.content_filter_result.violence, { filtered: true, severity: 'high' });
    });
  });

  describe('faults', () => {
    it('429 names the operation and api-version and sends retry-after and retry-after-ms', async () => {
      emulator.setFaults({ status: 429, retry_after_s: 2 });
      const { status, json, response } = await post(`${deploymentsChat}?api-version=2024-10-21`, chatBody);
      assert.equal(status, 429);
      assert.equal(response.headers.get('retry-after'), '2');
      assert.equal(response.headers.get('retry-after-ms'), '2000');
      assert.equal(json.error.code, '429');
      assert.match(
        json.error.message,
        new RegExp(
          '^Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit ' +
            String.raw`of your current OpenAI S0 pricing tier\. Please retry after 2 seconds\.`,
        ),
      );
    });

    it('other statuses use Azure {error: {code, message}}', async () => {
      emulator.setFaults({ status: 503 });
      const { status, json } = await post('/openai/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' });
      assert.equal(status, 503);
      assert.deepEqual(Object.keys(json.error).sort(), ['code', 'message']);
      assert.equal(json.error.code, '503');
    });
  });

  describe('with the openai package AzureOpenAI client (deployments form)', () => {
    const client = () => new AzureOpenAI({ endpoint: emulator.url, apiKey: AZURE_EMULATOR_API_KEY, apiVersion: '2024-10-21', maxRetries: 0 });

    it('completes and streams a chat', async () => {
      const completion = await client().chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hi from the SDK' }] });
      assert.match(completion.choices[0]?.message.content ?? '', /^Emulated reply from azure/);
      const stream = await client().chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hi from the SDK' }], stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      assert.equal(text, completion.choices[0]?.message.content);
      const paths = emulator.requests().map((entry) => `${entry.path}?api-version=${entry.query['api-version']}`);
      assert.ok(paths.includes('/openai/deployments/gpt-5.5/chat/completions?api-version=2024-10-21'));
    });

    it('embeds', async () => {
      const result = await client().embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
      assert.equal(result.data.length, 2);
      assert.equal(result.data[0]!.embedding.length, 1536);
    });
  });

  runResponsesEmulatorCases({
    emulator,
    base: () => `${emulator.url}/openai/v1`,
    headers: keyHeaders,
    bearer: AZURE_EMULATOR_ENTRA_TOKEN,
    model: 'gpt-5.5',
  });

  describe('responses, Azure specifics', () => {
    const ask = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-5.5', input: 'Hello Azure', store: false, ...extra });

    it('names the versioned model, and takes api-version v1 or preview only', async () => {
      const { status, json } = await post('/openai/v1/responses?api-version=preview', ask());
      assert.equal(status, 200);
      assert.equal(json.model, 'gpt-5.5-2026-04-23');
      assert.equal((await post('/openai/v1/responses?api-version=2025-03-01-preview', ask())).status, 400);
    });

    it('is not a deployments-form operation', async () => {
      const { status, json } = await post('/openai/deployments/gpt-5.5/responses?api-version=2024-10-21', ask());
      assert.equal(status, 404);
      assert.deepEqual(json, { error: { code: '404', message: 'Resource not found' } });
    });

    it("answers Azure's errors: unknown deployment, embedding deployment, filtered prompt", async () => {
      const unknown = await post('/openai/v1/responses', ask({ model: 'nope' }));
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.error.code, 'DeploymentNotFound');
      const embedding = await post('/openai/v1/responses', ask({ model: 'text-embedding-3-small' }));
      assert.equal(embedding.status, 400);
      assert.equal(embedding.json.error.code, 'OperationNotSupported');
      const filtered = await post('/openai/v1/responses', ask({ input: `tell me ${AZURE_CONTENT_FILTER_MARKER}` }));
      assert.equal(filtered.status, 400);
      assert.equal(filtered.json.error.code, 'content_filter');
    });

    it("answers an injected 429 with Azure's Responses operation name and retry-after-ms", async () => {
      emulator.setFaults({ status: 429, count: 1 });
      const { status, json, response } = await post('/openai/v1/responses', ask());
      assert.equal(status, 429);
      assert.match(json.error.message, /^Requests to the Responses_Create Operation/);
      assert.equal(response.headers.get('retry-after-ms'), '1000');
    });
  });
});
