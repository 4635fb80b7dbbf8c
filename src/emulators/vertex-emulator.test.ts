// The Vertex AI emulator: the real google-auth-library obtaining (and refreshing) tokens from the emulator's token
// endpoint, the official openai client against the OpenAI-compatible endpoint (JSON and SSE), Google's error bodies,
// and faults.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { GoogleAuth } from 'google-auth-library';
import OpenAI from 'openai';
import { createEmulatorServiceAccount } from './google-service-account.ts';
import { GOOGLE_OAUTH_TOKEN_URL } from './google-token-issuer.ts';
import { startEmulators } from './start-emulators.ts';
import { VERTEX_EMULATOR_ACCESS_TOKEN, VERTEX_EMULATOR_PROJECT, VertexEmulator } from './vertex-emulator.ts';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const emulator = new VertexEmulator({ tokenLifetimeSeconds: 2 });
const chatPath = (location = 'global', project = VERTEX_EMULATOR_PROJECT, version = 'v1') =>
  `/${version}/projects/${project}/locations/${location}/endpoints/openapi/chat/completions`;
const chatBody = { model: 'openai/gpt-oss-120b-maas', messages: [{ role: 'user', content: 'Hello Vertex' }] };

async function post(path: string, body: unknown, token: string | null = VERTEX_EMULATOR_ACCESS_TOKEN, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${emulator.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, text, json: response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined, response };
}

/**
 * google-auth-library as an application would use it, with a service-account key whose token_uri is the emulator.
 * The library (v10) posts to Google's fixed token URL whatever the key file says, so its transporter is pointed at
 * the file's token_uri, as a private token endpoint (Private Service Connect) would be reached.
 */
async function googleClient(scopes: string[] = [CLOUD_PLATFORM], eagerRefreshThresholdMillis?: number) {
  const account = createEmulatorServiceAccount(emulator.tokenUrl);
  emulator.registerServiceAccount({ clientEmail: account.credentials.client_email, publicKeyPem: account.publicKeyPem });
  const auth = new GoogleAuth({ credentials: account.credentials, scopes, clientOptions: { eagerRefreshThresholdMillis } });
  const client = await auth.getClient();
  const tokenRequests: string[] = [];
  client.transporter.interceptors.request.add({
    resolved: async (options) => {
      if (options.url.toString() === GOOGLE_OAUTH_TOKEN_URL) {
        tokenRequests.push(String(options.data));
        options.url = new URL(account.credentials.token_uri);
      }
      return options;
    },
  });
  return { client, tokenRequests };
}

describe('VertexEmulator', () => {
  before(() => emulator.start());
  after(() => emulator.close());
  afterEach(() => emulator.clearFaults());

  describe('with the real google-auth-library', () => {
    it('the library gets a token from /token and the endpoint accepts it', async () => {
      const { client, tokenRequests } = await googleClient();
      const { token } = await client.getAccessToken();
      assert.ok(token !== null && token !== undefined);
      assert.equal(tokenRequests.length, 1);
      const sent = new URLSearchParams(tokenRequests[0]);
      assert.equal(sent.get('grant_type'), 'urn:ietf:params:oauth:grant-type:jwt-bearer');
      const claims = JSON.parse(Buffer.from(sent.get('assertion')!.split('.')[1]!, 'base64url').toString('utf8'));
      assert.equal(claims.aud, GOOGLE_OAUTH_TOKEN_URL);
      assert.equal(claims.scope, CLOUD_PLATFORM);
      const { status, json } = await post(chatPath(), chatBody, token);
      assert.equal(status, 200);
      assert.match(json.choices[0].message.content, /^Emulated reply from vertex/);
      const journal = emulator.requests().filter((entry) => entry.path === '/token');
      assert.ok(journal.length >= 1);
      assert.equal(journal.at(-1)?.body, null, 'the assertion is not kept in the journal');
    });

    it('an expired token is refused with ACCESS_TOKEN_EXPIRED and the library then fetches a new one', async (context) => {
      // The process's wall clock (the library's and the emulator's) is the test's: it moves only when told, so a slow
      // machine cannot expire the token before the test means it to.
      context.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      // The library refreshes 5 minutes ahead by default, longer than these 2-second tokens live.
      const { client, tokenRequests } = await googleClient([CLOUD_PLATFORM], 100);
      const first = (await client.getAccessToken()).token!;
      assert.equal((await client.getAccessToken()).token, first, 'the library caches the token');
      assert.equal(tokenRequests.length, 1);
      context.mock.timers.tick(2100);
      const refused = await post(chatPath(), chatBody, first);
      assert.equal(refused.status, 401);
      assert.equal(refused.json.error.status, 'UNAUTHENTICATED');
      assert.equal(refused.json.error.details[0].reason, 'ACCESS_TOKEN_EXPIRED');
      const second = (await client.getAccessToken()).token!;
      assert.notEqual(second, first);
      assert.equal(tokenRequests.length, 2);
      assert.equal((await post(chatPath(), chatBody, second)).status, 200);
    });

    it('a token without a Vertex scope is refused with 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT', async () => {
      const { client } = await googleClient(['https://www.googleapis.com/auth/devstorage.read_only']);
      const { status, json } = await post(chatPath(), chatBody, (await client.getAccessToken()).token!);
      assert.equal(status, 403);
      assert.equal(json.error.message, 'Request had insufficient authentication scopes.');
      assert.equal(json.error.details[0].reason, 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    });
  });

  describe('with the official openai client', () => {
    const client = () =>
      new OpenAI({
        baseURL: `${emulator.url}/v1/projects/${VERTEX_EMULATOR_PROJECT}/locations/global/endpoints/openapi`,
        apiKey: emulator.issueAccessToken().access_token,
        maxRetries: 0,
      });

    it('chat, non-streaming', async () => {
      const completion = await client().chat.completions.create({ model: 'openai/gpt-oss-120b-maas', messages: [{ role: 'user', content: 'Hello Vertex' }] });
      assert.equal(completion.object, 'chat.completion');
      assert.equal(completion.model, 'openai/gpt-oss-120b-maas');
      assert.match(completion.choices[0]?.message.content ?? '', /^Emulated reply from vertex/);
      assert.ok((completion.usage?.prompt_tokens ?? 0) > 0);
    });

    it('chat, streaming with usage', async () => {
      const stream = await client().chat.completions.create({
        model: 'openai/gpt-oss-20b-maas',
        messages: [{ role: 'user', content: 'Stream please' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      assert.match(text, /^Emulated reply from vertex/);
      assert.ok((usage?.completion_tokens ?? 0) > 0);
    });

    it('tool calls', async () => {
      const completion = await client().chat.completions.create({
        model: 'openai/gpt-oss-120b-maas',
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
        tools: [
          { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
        ],
        tool_choice: 'required',
      });
      assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
      assert.equal(completion.choices[0]?.message.tool_calls?.[0]?.type, 'function');
    });

    it('embeddings', async () => {
      const result = await client().embeddings.create({ model: 'google/gemini-embedding-001', input: ['a', 'b'], dimensions: 8 });
      assert.equal(result.data.length, 2);
      assert.equal(result.data[0]?.embedding.length, 8);
    });

    it("an unknown model is a 404 NotFoundError with Google's message", async () => {
      await assert.rejects(client().chat.completions.create({ model: 'openai/gpt-oss', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.NotFoundError);
        assert.match(error.message, /Publisher Model `projects\/crossway-demo\/locations\/global\/publishers\/openai\/models\/gpt-oss` was not found/);
        return true;
      });
    });
  });

  describe('requests and errors', () => {
    it('v1beta1 serves the same endpoint', async () => {
      assert.equal((await post(chatPath('us-central1', VERTEX_EMULATOR_PROJECT, 'v1beta1'), chatBody)).status, 200);
    });

    const UNAUTHENTICATED = {
      code: 401,
      message:
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See ' +
        'https://developers.google.com/identity/sign-in/web/devconsole-project.',
      status: 'UNAUTHENTICATED',
    };
    const cases: {
      name: string;
      path?: string;
      body?: unknown;
      token?: string | null;
      headers?: Record<string, string>;
      status: number;
      googleStatus: string;
      message?: string | RegExp;
      reason?: string;
    }[] = [
      {
        name: 'an unknown token',
        token: 'ya29.unknown',
        status: 401,
        googleStatus: 'UNAUTHENTICATED',
        message: UNAUTHENTICATED.message,
        reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED',
      },
      {
        name: 'no credentials',
        token: null,
        status: 401,
        googleStatus: 'UNAUTHENTICATED',
        message: /^Request is missing required authentication credential/,
        reason: 'CREDENTIALS_MISSING',
      },
      {
        name: 'an API key',
        token: null,
        headers: { 'x-goog-api-key': 'AIza-test' },
        status: 401,
        googleStatus: 'UNAUTHENTICATED',
        message: /^API keys are not supported by this API/,
        reason: 'CREDENTIALS_MISSING',
      },
      {
        name: 'an unknown project',
        path: chatPath('us-central1', 'someone-elses-project'),
        status: 403,
        googleStatus: 'PERMISSION_DENIED',
        message:
          "Permission 'aiplatform.endpoints.predict' denied on resource " +
          "'//aiplatform.googleapis.com/projects/someone-elses-project/locations/us-central1/endpoints/openapi' (or it may not exist).",
        reason: 'IAM_PERMISSION_DENIED',
      },
      { name: 'an unknown location', path: chatPath('mars-north1'), status: 404, googleStatus: 'NOT_FOUND', message: /mars-north1/ },
      {
        name: 'a body that is not JSON',
        body: '{"model":',
        status: 400,
        googleStatus: 'INVALID_ARGUMENT',
        message: 'Invalid JSON payload received. Unexpected token.',
      },
      {
        name: 'no messages',
        body: { model: 'openai/gpt-oss-120b-maas' },
        status: 400,
        googleStatus: 'INVALID_ARGUMENT',
        message: "Missing required parameter: 'messages'.",
      },
      {
        name: 'a bare model name (no publisher)',
        body: { ...chatBody, model: 'gpt-oss-120b-maas' },
        status: 404,
        googleStatus: 'NOT_FOUND',
        message: /publishers\/google\/models\/gpt-oss-120b-maas/,
      },
    ];
    for (const item of cases) {
      it(`${item.name} -> ${item.status} ${item.googleStatus}`, async () => {
        const { status, json } = await post(
          item.path ?? chatPath(),
          item.body ?? chatBody,
          item.token === undefined ? VERTEX_EMULATOR_ACCESS_TOKEN : item.token,
          item.headers,
        );
        assert.equal(status, item.status);
        assert.equal(json.error.code, item.status);
        assert.equal(json.error.status, item.googleStatus);
        if (typeof item.message === 'string') assert.equal(json.error.message, item.message);
        else if (item.message !== undefined) assert.match(json.error.message, item.message);
        if (item.reason !== undefined) assert.equal(json.error.details[0].reason, item.reason);
      });
    }

    it("an unknown path gets Google's front-end 404 page", async () => {
      const { status, text, response } = await post('/v1/projects/crossway-demo/locations/global/publishers/openai/models/x:predict', chatBody);
      assert.equal(status, 404);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(text, /<title>Error 404 \(Not Found\)!!1<\/title>/);
    });

    it('responses carry x-crossway-emulator: vertex', async () => {
      assert.equal((await post(chatPath(), chatBody)).response.headers.get('x-crossway-emulator'), 'vertex');
    });
  });

  describe('faults', () => {
    it('429 comes as a one-element JSON array with retry-after', async () => {
      emulator.setFaults({ status: 429, count: 1, retry_after_s: 7 });
      const { status, json, response } = await post(chatPath(), chatBody);
      assert.equal(status, 429);
      assert.equal(response.headers.get('retry-after'), '7');
      assert.ok(Array.isArray(json));
      assert.deepEqual(json, [
        {
          error: {
            code: 429,
            message:
              'Resource exhausted. Please try again later. ' +
              'Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.',
            status: 'RESOURCE_EXHAUSTED',
          },
        },
      ]);
      assert.equal((await post(chatPath(), chatBody)).status, 200, 'count: 1 fires once');
    });

    it("503 and 500 come bare, in Google's shape", async () => {
      for (const [code, googleStatus] of [
        [503, 'UNAVAILABLE'],
        [500, 'INTERNAL'],
      ] as const) {
        emulator.setFaults({ status: code, count: 1 });
        const { status, json } = await post(chatPath(), chatBody);
        assert.equal(status, code);
        assert.equal(json.error.status, googleStatus);
      }
    });

    it('a stream cut after some chunks', async () => {
      emulator.setFaults({ disconnect_after_chunks: 2, count: 1 });
      const response = await fetch(`${emulator.url}${chatPath()}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${VERTEX_EMULATOR_ACCESS_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...chatBody, stream: true }),
      });
      assert.equal(response.status, 200);
      await assert.rejects(response.text());
      assert.equal(emulator.requests().at(-1)?.outcome, 'disconnected');
    });
  });
});

describe('startEmulators with vertex', () => {
  it('starts vertex alone and passes its options', async () => {
    const running = await startEmulators({ basePort: 0, only: ['vertex'], vertex: { projects: ['other-project'] } });
    try {
      const vertex = running.emulators.vertex!;
      assert.deepEqual(Object.keys(running.emulators), ['vertex']);
      const response = await fetch(`${vertex.url}/v1/projects/other-project/locations/global/endpoints/openapi/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${VERTEX_EMULATOR_ACCESS_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(chatBody),
      });
      assert.equal(response.status, 200);
    } finally {
      await running.close();
    }
  });
});
