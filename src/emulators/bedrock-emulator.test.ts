// The Bedrock emulator over HTTP: SigV4 (signed by @smithy/signature-v4 and by hand) and API-key auth with AWS's
// refusal bodies, Converse answers (text, tools, JSON, images, limits, stop sequences, guardrail), validation and faults.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  BEDROCK_EMULATOR_ACCESS_KEY_ID,
  BEDROCK_EMULATOR_API_KEY,
  BEDROCK_EMULATOR_SECRET_ACCESS_KEY,
  BEDROCK_GUARDRAIL_MESSAGE,
  BedrockEmulator,
} from './bedrock-emulator.ts';
import { startEmulators } from './start-emulators.ts';

const emulator = new BedrockEmulator();
const MODEL_PATH = '/model/openai.gpt-oss-120b-1%3A0/converse';
const CORAL = 'http://internal.amazon.com/coral/com.amazon.coral.service/';
const BEDROCK = 'http://internal.amazon.com/coral/com.amazon.bedrock/';

interface Answer {
  status: number;
  json: any;
  headers: Headers;
}

async function send(path: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json(), headers: response.headers };
}

/** Sends `body` signed the way the AWS SDK signs: @smithy/signature-v4, service `bedrock`. */
async function sendSigned(
  path: string,
  body: unknown,
  options: { accessKeyId?: string; secretAccessKey?: string; region?: string; signingDate?: Date } = {},
): Promise<Answer> {
  const text = JSON.stringify(body);
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: options.accessKeyId ?? BEDROCK_EMULATOR_ACCESS_KEY_ID,
      secretAccessKey: options.secretAccessKey ?? BEDROCK_EMULATOR_SECRET_ACCESS_KEY,
    },
    region: options.region ?? 'us-east-1',
    service: 'bedrock',
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: emulator.port,
      path,
      query: {},
      headers: { host: `127.0.0.1:${emulator.port}`, 'content-type': 'application/json', accept: 'application/json' },
      body: text,
    },
    { signingDate: options.signingDate },
  );
  const { host: _host, ...headers } = signed.headers;
  return send(path, text, headers);
}

const bearer = { authorization: `Bearer ${BEDROCK_EMULATOR_API_KEY}`, 'content-type': 'application/json' };
const converse = (body: unknown, path = MODEL_PATH) => send(path, body, bearer);
const say = (text: string, extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content: [{ text }] }], ...extra });
const weatherTool = {
  toolSpec: {
    name: 'get_weather',
    description: 'Current weather of a city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } }, required: ['city', 'unit'] } },
  },
};

describe('BedrockEmulator', () => {
  before(() => emulator.start());
  after(() => emulator.close());
  beforeEach(() => {
    emulator.clearFaults();
    emulator.clearRequests();
  });

  describe('SigV4 and API-key auth', () => {
    it('accepts a request signed by @smithy/signature-v4, the model id percent-encoded in the path', async () => {
      const { status, json, headers } = await sendSigned(MODEL_PATH, say('Hello there'));
      assert.equal(status, 200);
      assert.match(headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(json.output.message.role, 'assistant');
      const [entry] = emulator.requests();
      assert.equal(entry?.path, MODEL_PATH);
      assert.equal(entry?.headers.authorization, '[redacted]');
    });

    it('accepts the model id with a raw colon and any allowed region', async () => {
      assert.equal((await sendSigned('/model/openai.gpt-oss-20b-1:0/converse', say('Hi'), { region: 'us-west-2' })).status, 200);
    });

    it('accepts a signature built by hand over HTTP', async () => {
      const text = JSON.stringify(say('Signed by hand'));
      const amzDate = new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
      const date = amzDate.slice(0, 8);
      const host = `127.0.0.1:${emulator.port}`;
      const canonical =
        `POST\n/model/openai.gpt-oss-120b-1%253A0/converse\n\nhost:${host}\nx-amz-date:${amzDate}\n\n` +
        `host;x-amz-date\n${createHash('sha256').update(text).digest('hex')}`;
      const scope = `${date}/us-east-2/bedrock/aws4_request`;
      const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
      let key: Buffer = Buffer.from(`AWS4${BEDROCK_EMULATOR_SECRET_ACCESS_KEY}`);
      for (const part of [date, 'us-east-2', 'bedrock', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
      const authorization =
        `AWS4-HMAC-SHA256 Credential=${BEDROCK_EMULATOR_ACCESS_KEY_ID}/${scope}, SignedHeaders=host;x-amz-date, ` +
        `Signature=${createHmac('sha256', key).update(toSign).digest('hex')}`;
      const { status } = await send(MODEL_PATH, text, { authorization, 'x-amz-date': amzDate, 'content-type': 'application/json' });
      assert.equal(status, 200);
    });

    it('accepts the configured Bedrock API key as a bearer token', async () => {
      assert.equal((await converse(say('Hi'))).status, 200);
    });

    const refusals: { name: string; call: () => Promise<Answer>; errorType: string; body: (json: any) => void }[] = [
      {
        name: 'no credentials',
        call: () => send(MODEL_PATH, say('Hi'), { 'content-type': 'application/json' }),
        errorType: `MissingAuthenticationTokenException:${CORAL}`,
        body: (json) => assert.deepEqual(json, { message: 'Missing Authentication Token' }),
      },
      {
        name: 'an unknown access key',
        call: () => sendSigned(MODEL_PATH, say('Hi'), { accessKeyId: 'AKIANOTKNOWN', secretAccessKey: 'whatever' }),
        errorType: `UnrecognizedClientException:${CORAL}`,
        body: (json) => assert.deepEqual(json, { message: 'The security token included in the request is invalid.' }),
      },
      {
        name: 'a signature made with the wrong secret',
        call: () => sendSigned(MODEL_PATH, say('Hi'), { secretAccessKey: 'wrong/secret' }),
        errorType: `InvalidSignatureException:${CORAL}`,
        body: (json) => {
          assert.match(
            json.message,
            new RegExp(
              String.raw`^The request signature we calculated does not match the signature you provided\. ` +
                String.raw`Check your AWS Secret Access Key and signing method\. Consult the service documentation for details\.`,
            ),
          );
          assert.match(json.message, /\/model\/openai\.gpt-oss-120b-1%253A0\/converse/);
        },
      },
      {
        name: 'a signature older than five minutes',
        call: () => sendSigned(MODEL_PATH, say('Hi'), { signingDate: new Date(Date.now() - 10 * 60_000) }),
        errorType: `InvalidSignatureException:${CORAL}`,
        body: (json) => assert.match(json.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/),
      },
      {
        name: 'a region the account does not use',
        call: () => sendSigned(MODEL_PATH, say('Hi'), { region: 'ap-south-1' }),
        errorType: `InvalidSignatureException:${CORAL}`,
        body: (json) => assert.equal(json.message, "Credential should be scoped to a valid region, not 'ap-south-1'. "),
      },
      {
        name: 'an unknown API key',
        call: () => send(MODEL_PATH, say('Hi'), { authorization: 'Bearer ABSKnot-a-key', 'content-type': 'application/json' }),
        errorType: `AccessDeniedException:${CORAL}`,
        body: (json) => assert.deepEqual(json, { Message: 'Authentication failed: Please make sure your API Key is valid.' }),
      },
    ];
    for (const refusal of refusals) {
      it(`refuses ${refusal.name} with 403 and AWS's body`, async () => {
        const { status, json, headers } = await refusal.call();
        assert.equal(status, 403);
        assert.equal(headers.get('x-amzn-errortype'), refusal.errorType);
        assert.ok(headers.get('x-amzn-requestid'));
        refusal.body(json);
      });
    }
  });

  describe('Converse', () => {
    it('answers text with stopReason end_turn, usage and metrics', async () => {
      const { status, json } = await converse(say('What is the tallest mountain?', { system: [{ text: 'Be brief.' }] }));
      assert.equal(status, 200);
      assert.deepEqual(Object.keys(json).sort(), ['metrics', 'output', 'stopReason', 'usage']);
      const [block] = json.output.message.content;
      assert.match(block.text, /^Emulated reply from bedrock to 2 messages\./);
      assert.equal(json.stopReason, 'end_turn');
      assert.equal(json.usage.totalTokens, json.usage.inputTokens + json.usage.outputTokens);
      assert.equal(typeof json.metrics.latencyMs, 'number');
    });

    it('calls a tool named in the question, with input valid for its schema', async () => {
      const { json } = await converse(say('Use get_weather for Paris', { toolConfig: { tools: [weatherTool] } }));
      assert.equal(json.stopReason, 'tool_use');
      const [{ toolUse }] = json.output.message.content;
      assert.match(toolUse.toolUseId, /^tooluse_[A-Za-z0-9_-]{22}$/);
      assert.equal(toolUse.name, 'get_weather');
      assert.equal(typeof toolUse.input.city, 'string');
      assert.ok(['c', 'f'].includes(toolUse.input.unit));
    });

    it('honours toolChoice any and tool', async () => {
      const other = { toolSpec: { name: 'lookup', inputSchema: { json: { type: 'object', properties: {} } } } };
      const any = await converse(say('Hello', { toolConfig: { tools: [weatherTool, other], toolChoice: { any: {} } } }));
      assert.equal(any.json.stopReason, 'tool_use');
      const named = await converse(say('Hello', { toolConfig: { tools: [weatherTool, other], toolChoice: { tool: { name: 'lookup' } } } }));
      assert.equal(named.json.output.message.content[0].toolUse.name, 'lookup');
    });

    it('answers a toolResult in words', async () => {
      const first = await converse(say('Use get_weather for Paris', { toolConfig: { tools: [weatherTool] } }));
      const call = first.json.output.message.content[0].toolUse;
      const { json } = await converse({
        messages: [
          { role: 'user', content: [{ text: 'Use get_weather for Paris' }] },
          { role: 'assistant', content: [{ toolUse: call }] },
          { role: 'user', content: [{ toolResult: { toolUseId: call.toolUseId, content: [{ json: { celsius: 21 } }], status: 'success' } }] },
        ],
        toolConfig: { tools: [weatherTool] },
      });
      assert.equal(json.stopReason, 'end_turn');
      assert.match(json.output.message.content[0].text, /after get_weather returned a result/);
    });

    it('answers JSON matching outputConfig.textFormat json_schema', async () => {
      const schema = { type: 'object', properties: { answer: { type: 'string' }, score: { type: 'integer' } }, required: ['answer', 'score'] };
      const { json } = await converse(
        say('Rate this', {
          outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name: 'rating' } } } },
        }),
      );
      const parsed = JSON.parse(json.output.message.content[0].text);
      assert.equal(typeof parsed.answer, 'string');
      assert.equal(Number.isInteger(parsed.score), true);
    });

    it('counts image blocks', async () => {
      const image = { image: { format: 'png', source: { bytes: Buffer.from('fake png').toString('base64') } } };
      const { json } = await converse({ messages: [{ role: 'user', content: [{ text: 'What is in this picture?' }, image, image] }] });
      assert.match(json.output.message.content[0].text, /with 2 images/);
    });

    it('stops at maxTokens with max_tokens', async () => {
      const { json } = await converse(say('Tell me a long story', { inferenceConfig: { maxTokens: 5 } }));
      assert.equal(json.stopReason, 'max_tokens');
      assert.equal(json.usage.outputTokens, 5);
    });

    it('stops at a stop sequence with stop_sequence', async () => {
      const whole = (await converse(say('Tell me a story'))).json.output.message.content[0].text as string;
      const { json } = await converse(say('Tell me a story', { inferenceConfig: { stopSequences: ['Deterministic'] } }));
      assert.equal(json.stopReason, 'stop_sequence');
      assert.equal(json.output.message.content[0].text, whole.slice(0, whole.indexOf('Deterministic')));
    });

    it('blocks a message with the guardrail marker with guardrail_intervened', async () => {
      const { json } = await converse(say('Please [[guardrail]] this'));
      assert.equal(json.stopReason, 'guardrail_intervened');
      assert.deepEqual(json.output.message.content, [{ text: BEDROCK_GUARDRAIL_MESSAGE }]);
    });

    it('answers an unknown model with 400 ValidationException', async () => {
      const { status, json, headers } = await converse(say('Hi'), '/model/openai.gpt-9/converse');
      assert.equal(status, 400);
      assert.equal(headers.get('x-amzn-errortype'), `ValidationException:${BEDROCK}`);
      assert.deepEqual(json, { message: 'The provided model identifier is invalid.' });
    });

    it('answers a path no operation serves with 404', async () => {
      assert.equal((await converse(say('Hi'), '/model/openai.gpt-oss-20b-1%3A0/invoke-nothing')).status, 404);
    });
  });

  describe('validation', () => {
    const cases: { name: string; body: unknown; type?: string; message: RegExp }[] = [
      { name: 'invalid JSON', body: '{"messages":', type: 'SerializationException', message: /./ },
      {
        name: 'no messages',
        body: {},
        message: /^A conversation must start with a user message\. Try again with a conversation that starts with a user message\.$/,
      },
      {
        name: 'an assistant first',
        body: { messages: [{ role: 'assistant', content: [{ text: 'Hi' }] }] },
        message: /^A conversation must start with a user message/,
      },
      {
        name: 'two user turns in a row',
        body: {
          messages: [
            { role: 'user', content: [{ text: 'a' }] },
            { role: 'user', content: [{ text: 'b' }] },
          ],
        },
        message: new RegExp(
          String.raw`^A conversation must alternate between user and assistant roles\. ` +
            String.raw`Make sure the conversation alternates between user and assistant roles and try again\.$`,
        ),
      },
      {
        name: 'an unknown role',
        body: { messages: [{ role: 'bot', content: [{ text: 'a' }] }] },
        message: new RegExp(
          String.raw`^1 validation error detected: Value 'bot' at 'messages\.1\.member\.role' failed to satisfy constraint: ` +
            String.raw`Member must satisfy enum value set: \[user, assistant, system\]$`,
        ),
      },
      {
        name: 'a message without content',
        body: { messages: [{ role: 'user' }] },
        message: /^1 validation error detected: Value null at 'messages\.1\.member\.content' failed to satisfy constraint: Member must not be null$/,
      },
      {
        name: 'blank text',
        body: say('   '),
        message: /^The text field in the ContentBlock object at messages\.0\.content\.0 is blank\. Add text to the text field, and try again\.$/,
      },
      {
        name: 'maxTokens 0 and temperature 2',
        body: say('x', { inferenceConfig: { maxTokens: 0, temperature: 2 } }),
        message: new RegExp(
          '^2 validation errors detected: ' +
            String.raw`Value '0' at 'inferenceConfig\.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1; ` +
            String.raw`Value '2\.0' at 'inferenceConfig\.temperature' failed to satisfy constraint: Member must have value less than or equal to 1$`,
        ),
      },
      { name: 'topP above 1', body: say('x', { inferenceConfig: { topP: 1.5 } }), message: /Value '1\.5' at 'inferenceConfig\.topP'/ },
      {
        name: 'maxTokens as a string',
        body: say('x', { inferenceConfig: { maxTokens: 'ten' } }),
        type: 'SerializationException',
        message: /inferenceConfig\.maxTokens/,
      },
      {
        name: 'an empty tool list',
        body: say('x', { toolConfig: { tools: [] } }),
        message: /Value '\[\]' at 'toolConfig\.tools' failed to satisfy constraint: Member must have length greater than or equal to 1/,
      },
      {
        name: 'a tool name with spaces',
        body: say('x', { toolConfig: { tools: [{ toolSpec: { name: 'get weather', inputSchema: { json: {} } } }] } }),
        message: /at 'toolConfig\.tools\.1\.member\.toolSpec\.name' failed to satisfy constraint: Member must satisfy regular expression pattern/,
      },
      {
        name: 'an inputSchema that is not an object',
        body: say('x', { toolConfig: { tools: [{ toolSpec: { name: 'a', inputSchema: { json: 'schema' } } }] } }),
        message:
          /^The format of the value at toolConfig\.tools\.0\.toolSpec\.inputSchema\.json is invalid\. Provide a json object for the field and try again\.$/,
      },
      {
        name: 'tool history without toolConfig',
        body: {
          messages: [
            { role: 'user', content: [{ text: 'q' }] },
            { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_1', name: 'a', input: {} } }] },
            { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: 'r' }] } }] },
          ],
        },
        message: /^The toolConfig field must be defined when using toolUse and toolResult content blocks\.$/,
      },
      {
        name: 'an image of an unknown format',
        body: { messages: [{ role: 'user', content: [{ image: { format: 'bmp', source: { bytes: 'AA==' } } }] }] },
        message: /Value 'bmp' at 'messages\.1\.member\.content\.1\.member\.image\.format'/,
      },
      {
        name: 'a content block with two members',
        body: { messages: [{ role: 'user', content: [{ text: 'a', image: { format: 'png', source: { bytes: 'AA==' } } }] }] },
        message: /exactly one content type/,
      },
    ];
    for (const { name, body, type = 'ValidationException', message } of cases) {
      it(`rejects ${name} with 400 ${type}`, async () => {
        const { status, json, headers } = await converse(body);
        assert.equal(status, 400);
        assert.equal(headers.get('x-amzn-errortype'), `${type}:${BEDROCK}`);
        assert.match(json.message, message);
      });
    }
  });

  describe('faults', () => {
    const faults: { name: string; set: Record<string, unknown>; status: number; type: string; message: string }[] = [
      { name: '429', set: { status: 429 }, status: 429, type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' },
      {
        name: '500',
        set: { status: 500 },
        status: 500,
        type: 'InternalServerException',
        message: 'The system encountered an unexpected error during processing. Try your request again.',
      },
      { name: '503', set: { status: 503 }, status: 503, type: 'ServiceUnavailableException', message: 'Bedrock is unable to process your request.' },
      {
        name: '400 with error_code',
        set: { status: 400, error_code: 'ServiceQuotaExceededException' },
        status: 400,
        type: 'ServiceQuotaExceededException',
        message: 'Too many tokens per day, please wait before trying again.',
      },
    ];
    for (const fault of faults) {
      it(`answers an injected ${fault.name} with Bedrock's ${fault.type}`, async () => {
        emulator.setFaults({ ...fault.set, count: 1 });
        const { status, json, headers } = await converse(say('Hi'));
        assert.equal(status, fault.status);
        assert.equal(headers.get('x-amzn-errortype'), `${fault.type}:${BEDROCK}`);
        assert.deepEqual(json, { message: fault.message });
        if (fault.status === 429) assert.equal(headers.get('retry-after'), '1');
        assert.equal((await converse(say('Hi'))).status, 200);
      });
    }

    it('takes stream_exception and error_code through the control API, and rejects unknown exceptions', async () => {
      const control = (body: unknown) =>
        fetch(`${emulator.url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal((await control({ stream_exception: 'throttlingException', disconnect_after_chunks: 3 })).status, 200);
      assert.deepEqual(emulator.faults(), { stream_exception: 'throttlingException', disconnect_after_chunks: 3 });
      assert.equal((await control({ stream_exception: 'oopsException' })).status, 400);
      assert.equal((await control({ status: 400, error_code: 'ServiceQuotaExceededException' })).status, 200);
    });
  });

  describe('startEmulators', () => {
    it('starts bedrock on basePort + 2 with its options', async () => {
      const probe = await startEmulators({ basePort: 0, only: ['bedrock'], bedrock: { apiKeys: ['custom-bedrock-key'] } });
      const free = probe.emulators.bedrock!.port;
      const custom = await fetch(`${probe.emulators.bedrock!.url}${MODEL_PATH}`, {
        method: 'POST',
        headers: { authorization: 'Bearer custom-bedrock-key', 'content-type': 'application/json' },
        body: JSON.stringify(say('Hi')),
      });
      assert.equal(custom.status, 200);
      assert.equal(custom.headers.get('x-crossway-emulator'), 'bedrock');
      await probe.close();
      const running = await startEmulators({ basePort: free - 2, only: ['bedrock'] });
      try {
        assert.equal(running.emulators.bedrock!.port, free);
      } finally {
        await running.close();
      }
    });
  });
});
