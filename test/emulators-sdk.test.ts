// The emulators as real clients reach them: the Bedrock emulator over HTTP/2 with prior knowledge on its http:// port
// (what the AWS SDK's default NodeHttp2Handler for Bedrock Runtime does: node:http2 `connect('http://…')`, a SigV4
// request signed with service `bedrock`) beside HTTP/1.1, and the Azure emulator's v1 API with the API key sent as
// `Authorization: Bearer` by the plain OpenAI client, as Microsoft's v1 examples do. Then the official AWS SDK
// (@aws-sdk/client-bedrock-runtime) as it comes: its default request handler (NodeHttp2Handler), static test keys and
// the endpoint pointed at the emulator, for Converse, ConverseStream and InvokeModel, reasoning included.
import assert from 'node:assert/strict';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  ValidationException,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import OpenAI from 'openai';
import {
  AZURE_EMULATOR_API_KEY,
  AzureOpenAIEmulator,
  BEDROCK_EMULATOR_ACCESS_KEY_ID,
  BEDROCK_EMULATOR_SECRET_ACCESS_KEY,
  BedrockEmulator,
} from '../src/emulators/index.ts';

const REGION = 'us-west-2';
const MODEL_ID = 'openai.gpt-oss-120b-1:0';

/** Signs a Converse call as the AWS SDK does (SigV4, service `bedrock`, the host header signed). */
async function signConverse(url: URL, body: string, stream: boolean) {
  const signer = new SignatureV4({
    service: 'bedrock',
    region: REGION,
    credentials: { accessKeyId: BEDROCK_EMULATOR_ACCESS_KEY_ID, secretAccessKey: BEDROCK_EMULATOR_SECRET_ACCESS_KEY },
    sha256: Sha256,
  });
  const path = `/model/${encodeURIComponent(MODEL_ID)}/${stream ? 'converse-stream' : 'converse'}`;
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path,
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  return { path, headers: signed.headers as Record<string, string> };
}

/** One HTTP/2 request on `session`: status, headers and body bytes. */
function request2(session: ClientHttp2Session, path: string, headers: Record<string, string>, body: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const stream = session.request({ ...headers, [constants.HTTP2_HEADER_PATH]: path, [constants.HTTP2_HEADER_METHOD]: 'POST' });
    const chunks: Buffer[] = [];
    let head: Record<string, unknown> = {};
    stream.on('response', (received) => {
      head = received;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status: Number(head[constants.HTTP2_HEADER_STATUS]), headers: head, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    stream.end(body);
  });
}

describe('the Bedrock emulator speaks HTTP/2 (cleartext, prior knowledge) and HTTP/1.1 on one port', () => {
  const bedrock = new BedrockEmulator();
  let session: ClientHttp2Session;
  before(async () => {
    await bedrock.start();
    session = connect(bedrock.url);
  });
  after(async () => {
    session.close();
    await bedrock.close();
  });

  const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello over HTTP/2' }] }], inferenceConfig: { maxTokens: 64 } });

  it('Converse over HTTP/2 with a SigV4 signature: answered', async () => {
    const url = new URL(bedrock.url);
    const { path, headers } = await signConverse(url, body, false);
    const reply = await request2(session, path, headers, body);
    assert.equal(reply.status, 200, reply.body.toString());
    const json = JSON.parse(reply.body.toString()) as { output: { message: { role: string; content: Array<{ text?: string }> } }; stopReason: string };
    assert.equal(json.output.message.role, 'assistant');
    assert.ok(json.output.message.content.some((block) => (block.text ?? '').length > 0));
    assert.equal(reply.headers['x-crossway-emulator'], 'bedrock');
  });

  it('ConverseStream over HTTP/2: binary event-stream frames ending with messageStop and metadata', async () => {
    const url = new URL(bedrock.url);
    const { path, headers } = await signConverse(url, body, true);
    const reply = await request2(session, path, headers, body);
    assert.equal(reply.status, 200, reply.body.toString());
    assert.equal(reply.headers['content-type'], 'application/vnd.amazon.eventstream');
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const types: string[] = [];
    for (let offset = 0; offset < reply.body.length; ) {
      const length = reply.body.readUInt32BE(offset);
      const message = codec.decode(reply.body.subarray(offset, offset + length));
      types.push(String(message.headers[':event-type']?.value));
      offset += length;
    }
    assert.equal(types[0], 'messageStart');
    assert.deepEqual(types.slice(-2), ['messageStop', 'metadata']);
  });

  it('a bad signature over HTTP/2 is refused as over HTTP/1.1', async () => {
    const url = new URL(bedrock.url);
    const { path, headers } = await signConverse(url, body, false);
    const reply = await request2(session, path, headers, body.replace('Hello', 'Howdy'));
    assert.equal(reply.status, 403);
  });

  it('HTTP/1.1 on the same port still answers', async () => {
    const url = new URL(bedrock.url);
    const { path, headers } = await signConverse(url, body, false);
    const { host: _host, ...rest } = headers;
    const response = await fetch(`${bedrock.url}${path}`, { method: 'POST', headers: rest, body });
    assert.equal(response.status, 200, await response.clone().text());
  });
});

describe('the official AWS SDK (BedrockRuntimeClient, default handler) against the Bedrock emulator', () => {
  const bedrock = new BedrockEmulator();
  let client: BedrockRuntimeClient;
  before(async () => {
    await bedrock.start();
    client = new BedrockRuntimeClient({
      region: REGION,
      endpoint: bedrock.url,
      credentials: { accessKeyId: BEDROCK_EMULATOR_ACCESS_KEY_ID, secretAccessKey: BEDROCK_EMULATOR_SECRET_ACCESS_KEY },
      maxAttempts: 1,
    });
  });
  after(async () => {
    client.destroy();
    await bedrock.close();
  });

  const messages = [{ role: 'user' as const, content: [{ text: 'Hello from the AWS SDK' }] }];

  it('uses its default HTTP/2 handler, and the emulator sees HTTP/2 requests', async () => {
    // The class is @smithy/node-http-handler's, not a declared dependency here: checked by name.
    assert.equal(client.config.requestHandler.constructor.name, 'NodeHttp2Handler');
    bedrock.clearRequests();
    await client.send(new ConverseCommand({ modelId: MODEL_ID, messages }));
    // Node's HTTP/2 compatibility layer keeps the pseudo-headers among the request headers; HTTP/1.1 has none.
    assert.equal(bedrock.requests().length, 1);
    assert.ok(bedrock.requests().every((entry) => entry.headers[':method'] === 'POST' && entry.path.endsWith('/converse')));
  });

  it('ConverseCommand: the answer, stop reason, usage and request id; reasoning when additionalModelRequestFields asks', async () => {
    const plain = await client.send(new ConverseCommand({ modelId: MODEL_ID, messages, inferenceConfig: { maxTokens: 200 } }));
    assert.equal(plain.$metadata.httpStatusCode, 200);
    assert.ok(plain.$metadata.requestId);
    assert.equal(plain.stopReason, 'end_turn');
    assert.match(plain.output?.message?.content?.[0]?.text ?? '', /^Emulated reply from bedrock to 1 message\./);
    const asked = await client.send(
      new ConverseCommand({ modelId: MODEL_ID, messages, inferenceConfig: { maxTokens: 200 }, additionalModelRequestFields: { reasoning_effort: 'medium' } }),
    );
    const [reasoning, text] = asked.output?.message?.content ?? [];
    assert.match(reasoning?.reasoningContent?.reasoningText?.text ?? '', /^Reasoning at medium effort/);
    assert.equal(text?.text, plain.output?.message?.content?.[0]?.text);
    assert.ok((asked.usage?.outputTokens ?? 0) > (plain.usage?.outputTokens ?? 0));
  });

  it('ConverseCommand with a tool: a toolUse block the SDK reads, stopReason tool_use', async () => {
    const reply = await client.send(
      new ConverseCommand({
        modelId: MODEL_ID,
        messages: [{ role: 'user', content: [{ text: 'Use the get_weather tool for Paris' }] }],
        toolConfig: { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } } } }] },
      }),
    );
    assert.equal(reply.stopReason, 'tool_use');
    const toolUse = reply.output?.message?.content?.[0]?.toolUse;
    assert.equal(toolUse?.name, 'get_weather');
    assert.match(toolUse?.toolUseId ?? '', /^tooluse_/);
  });

  it('ConverseStreamCommand: the SDK decodes every event; reasoning deltas first, then text, stop and metadata', async () => {
    const reply = await client.send(new ConverseStreamCommand({ modelId: MODEL_ID, messages, additionalModelRequestFields: { reasoning_effort: 'low' } }));
    const events: ConverseStreamOutput[] = [];
    for await (const event of reply.stream ?? []) events.push(event);
    assert.deepEqual(Object.keys(events[0] ?? {}), ['messageStart']);
    const reasoning = events.flatMap((event) =>
      event.contentBlockDelta?.delta?.reasoningContent?.text ? [event.contentBlockDelta.delta.reasoningContent.text] : [],
    );
    assert.match(reasoning.join(''), /^Reasoning at low effort/);
    const text = events.flatMap((event) => (event.contentBlockDelta?.delta?.text ? [event.contentBlockDelta.delta.text] : []));
    assert.match(text.join(''), /^Emulated reply from bedrock to 1 message\./);
    assert.equal(events.at(-2)?.messageStop?.stopReason, 'end_turn');
    assert.ok((events.at(-1)?.metadata?.usage?.totalTokens ?? 0) > 0);
  });

  it('InvokeModelCommand: the OpenAI chat body in, a chat completion out, reasoning in <reasoning> tags when asked', async () => {
    const reply = await client.send(
      new InvokeModelCommand({
        modelId: MODEL_ID,
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify({ messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 200, reasoning_effort: 'low' }),
      }),
    );
    const completion = JSON.parse(Buffer.from(reply.body).toString()) as { object: string; choices: Array<{ message: { content: string } }> };
    assert.equal(completion.object, 'chat.completion');
    assert.match(completion.choices[0]?.message.content ?? '', /^<reasoning>Reasoning at low effort[^<]*<\/reasoning>Emulated reply from bedrock/);
  });

  it("Bedrock's errors reach the SDK as its typed exceptions: an unknown model, a model served only on Mantle", async () => {
    await assert.rejects(client.send(new ConverseCommand({ modelId: 'openai.gpt-9', messages })), (error: unknown) => {
      assert.ok(error instanceof ValidationException);
      assert.equal(error.message, 'The provided model identifier is invalid.');
      assert.equal(error.$metadata.httpStatusCode, 400);
      return true;
    });
    await assert.rejects(client.send(new ConverseCommand({ modelId: 'openai.gpt-5.5', messages })), (error: unknown) => {
      assert.ok(error instanceof ValidationException);
      assert.match(error.message, /^This action doesn't support the model that you provided/);
      return true;
    });
  });
});

describe('the Azure emulator v1 API takes the API key as Authorization: Bearer (the plain OpenAI client)', () => {
  const azure = new AzureOpenAIEmulator();
  before(() => azure.start());
  after(() => azure.close());

  it('chat completions on /openai/v1 with the API key as Bearer', async () => {
    const client = new OpenAI({ baseURL: `${azure.url}/openai/v1/`, apiKey: AZURE_EMULATOR_API_KEY, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hello Azure' }] });
    assert.ok((completion.choices[0]?.message.content ?? '').length > 0);
    const models = await client.models.list();
    assert.ok(models.data.length > 0);
  });

  it('a wrong key as Bearer is refused; the deployments form keeps Bearer for Entra ID tokens', async () => {
    const wrong = new OpenAI({ baseURL: `${azure.url}/openai/v1/`, apiKey: 'not-the-key', maxRetries: 0 });
    await assert.rejects(wrong.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'x' }] }), { status: 401 });
    const response = await fetch(`${azure.url}/openai/deployments/gpt-5.5/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { authorization: `Bearer ${AZURE_EMULATOR_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(response.status, 401);
  });
});
