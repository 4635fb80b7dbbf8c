// Bedrock's Responses API on both OpenAI-compatible paths (bedrock-runtime `/openai/v1`, bedrock-mantle `/v1`): the
// shared Responses suite on each, Bedrock's auth and error bodies there, and a turn through the real Bedrock adapter
// and the executor, SigV4-signed (the journal redacts `authorization`; `x-amz-date` shows the signing), proving the emulator receives the stateless body
// Crossway sends.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { BEDROCK_EMULATOR_ACCESS_KEY_ID, BEDROCK_EMULATOR_API_KEY, BEDROCK_EMULATOR_SECRET_ACCESS_KEY, BedrockEmulator } from './bedrock-emulator.ts';
import { runResponsesEmulatorCases } from './openai-responses.case.test.ts';

const emulator = new BedrockEmulator();
const bearer = { authorization: `Bearer ${BEDROCK_EMULATOR_API_KEY}`, 'content-type': 'application/json' };
const CORAL = 'http://internal.amazon.com/coral/com.amazon.coral.service/';
const BEDROCK = 'http://internal.amazon.com/coral/com.amazon.bedrock/';

// The paths AWS serves the Responses API on for these models (bedrock-models.ts): gpt-oss on Mantle's `/v1`, GPT-5.5
// on Mantle's `/openai/v1`.
const families = [
  { name: 'bedrock-mantle /v1', base: '/v1', model: 'openai.gpt-oss-120b', api: 'mantle' },
  { name: 'bedrock-mantle /openai/v1', base: '/openai/v1', model: 'openai.gpt-5.5', api: 'mantle' },
];

async function send(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: any; headers: Headers; response: Response }> {
  const response = await fetch(`${emulator.url}${path}`, { method: 'POST', headers, body });
  const json = response.headers.get('content-type')?.startsWith('application/json') ? await response.json() : undefined;
  return { status: response.status, json, headers: response.headers, response };
}

/** Sends `body` SigV4-signed as the AWS SDK signs, with a secret that may be wrong. */
async function sendSigned(path: string, body: unknown, secretAccessKey = BEDROCK_EMULATOR_SECRET_ACCESS_KEY) {
  const text = JSON.stringify(body);
  const signer = new SignatureV4({
    credentials: { accessKeyId: BEDROCK_EMULATOR_ACCESS_KEY_ID, secretAccessKey },
    region: 'us-east-1',
    service: 'bedrock',
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: emulator.port,
    path,
    query: {},
    headers: { host: `127.0.0.1:${emulator.port}`, 'content-type': 'application/json' },
    body: text,
  });
  const { host: _host, ...headers } = signed.headers;
  return send(path, text, headers);
}

describe('BedrockEmulator Responses API', () => {
  before(() => emulator.start());
  after(() => emulator.close());

  for (const family of families) {
    runResponsesEmulatorCases({
      emulator,
      label: family.name,
      base: () => `${emulator.url}${family.base}`,
      headers: bearer,
      bearer: BEDROCK_EMULATOR_API_KEY,
      model: family.model,
    });
  }

  describe('Bedrock specifics', () => {
    beforeEach(() => {
      emulator.clearFaults();
      emulator.clearRequests();
    });
    const ask = (model: string, extra: Record<string, unknown> = {}) => ({ model, input: 'Name a river', store: false, ...extra });

    for (const family of families) {
      it(`${family.name}: answers SigV4-signed requests, naming the model as Bedrock does, JSON and streamed`, async () => {
        const whole = await sendSigned(`${family.base}/responses`, ask(family.model));
        assert.equal(whole.status, 200);
        assert.equal(whole.json.model, family.model);
        assert.ok(whole.headers.get('x-amzn-requestid'));
        assert.match(whole.json.output[0].content[0].text, /^Emulated reply from bedrock to 1 message\./);
        const streamed = await sendSigned(`${family.base}/responses`, ask(family.model, { stream: true }));
        assert.match(streamed.headers.get('content-type') ?? '', /^text\/event-stream/);
        const text = await streamed.response.text();
        assert.match(text, /^event: response\.created\n/);
        assert.match(text, new RegExp(`"model":"${family.model.replace(/[.]/g, '\\.')}"`));
        assert.match(text, /event: response\.completed\n[^\n]+\n\n$/);
        assert.deepEqual(
          emulator.requests().map((entry) => [entry.path, entry.stream, entry.outcome]),
          [
            [`${family.base}/responses`, false, 'completed'],
            [`${family.base}/responses`, true, 'completed'],
          ],
        );
      });
    }

    it('refuses a bad signature and an unknown API key with AWS 403 bodies', async () => {
      const badSignature = await sendSigned('/openai/v1/responses', ask('openai.gpt-oss-20b-1:0'), 'not/the/secret');
      assert.equal(badSignature.status, 403);
      assert.equal(badSignature.headers.get('x-amzn-errortype'), `InvalidSignatureException:${CORAL}`);
      assert.match(badSignature.json.message, /^The request signature we calculated does not match/);
      const badKey = await send('/v1/responses', JSON.stringify(ask('openai.gpt-5.5')), { ...bearer, authorization: 'Bearer ABSKwrong' });
      assert.equal(badKey.status, 403);
      assert.equal(badKey.headers.get('x-amzn-errortype'), `AccessDeniedException:${CORAL}`);
      assert.deepEqual(badKey.json, { Message: 'Authentication failed: Please make sure your API Key is valid.' });
      const none = await send('/v1/responses', JSON.stringify(ask('openai.gpt-5.5')), { 'content-type': 'application/json' });
      assert.deepEqual([none.status, none.json], [403, { message: 'Missing Authentication Token' }]);
    });

    it('answers an unknown model in Bedrock shape and a bad body in OpenAI shape, as chat completions does', async () => {
      const unknown = await send('/openai/v1/responses', JSON.stringify(ask('gpt-9')), bearer);
      assert.equal(unknown.status, 400);
      assert.equal(unknown.headers.get('x-amzn-errortype'), `ValidationException:${BEDROCK}`);
      assert.deepEqual(unknown.json, { message: 'The provided model identifier is invalid.' });
      const notJson = await send('/v1/responses', '{"model":', bearer);
      assert.equal(notJson.status, 400);
      assert.equal(notJson.json.error.type, 'invalid_request_error');
    });

    it('answers a model on a path AWS does not serve it on with the documented refusal', async () => {
      for (const [path, model] of [
        ['/openai/v1/responses', 'openai.gpt-oss-120b-1:0'],
        ['/v1/responses', 'openai.gpt-5.5'],
        ['/openai/v1/responses', 'openai.gpt-oss-120b'],
      ] as const) {
        const refused = await send(path, JSON.stringify(ask(model)), bearer);
        assert.equal(refused.status, 400, `${model} on ${path}`);
        assert.equal(refused.json.error.message, `model \`${model}\` isn't supported on this route`);
        assert.equal(refused.json.error.type, 'invalid_request_error');
      }
    });

    it("answers an injected fault with Bedrock's error type, and journals it", async () => {
      emulator.setFaults({ status: 503, count: 1 });
      const failed = await send('/openai/v1/responses', JSON.stringify(ask('openai.gpt-5.5')), bearer);
      assert.equal(failed.status, 503);
      assert.equal(failed.headers.get('x-amzn-errortype'), `ServiceUnavailableException:${BEDROCK}`);
      assert.deepEqual(failed.json, { message: 'Bedrock is unable to process your request.' });
      assert.equal((await send('/openai/v1/responses', JSON.stringify(ask('openai.gpt-5.5')), bearer)).status, 200, 'count: 1 applies once');
      assert.deepEqual(
        emulator.requests().map((entry) => entry.status),
        [503, 200],
      );
    });
  });
});
