// Local stand-in for Amazon Bedrock's inference endpoints: bedrock-runtime's Converse and ConverseStream
// (`/model/{modelId}/converse[-stream]`, binary event stream) and OpenAI-compatible chat completions
// (`/openai/v1/chat/completions`) and Responses (`/openai/v1/responses`, JSON and semantic SSE events, stateless),
// plus bedrock-mantle's `/v1/chat/completions` and `/v1/responses`, behind Bedrock API keys or SigV4.
// Sources: Converse API reference (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html),
// botocore bedrock-runtime 2023-09-30 service-2.json, "Generate responses using OpenAI APIs"
// (https://docs.aws.amazon.com/bedrock/latest/userguide/bedrock-mantle.html) and the model ids of "OpenAI models"
// (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-openai.html; `openai.gpt-5.5` on Mantle per
// OpenAI's "OpenAI models in Amazon Bedrock" guide), "Responses API"
// (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-responses-api.html).
// Error bodies: bedrock-error-body.ts; auth: bedrock-authenticate-request.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import { authenticateBedrockRequest } from './bedrock-authenticate-request.ts';
import { checkBedrockConverseRequest } from './bedrock-converse-request.ts';
import type { BedrockConverseRequest } from './bedrock-converse-request.ts';
import { buildBedrockConverseResponse, buildBedrockConverseStreamEvents, mapToBedrockStopReason, toBedrockAnswer } from './bedrock-converse-response.ts';
import type { BedrockAnswer } from './bedrock-converse-response.ts';
import { convertBedrockConverseRequest } from './bedrock-converse-to-reply.ts';
import { AWS_AUTH_ERROR_NAMESPACE, bedrockError, bedrockFaultError, bedrockInvalidModelError, bedrockStreamExceptionPayload } from './bedrock-error-body.ts';
import { BEDROCK_EVENT_STREAM_CONTENT_TYPE, encodeBedrockEvent, encodeBedrockException } from './bedrock-event-stream-encoder.ts';
import type { AwsCredential } from './bedrock-sigv4-verifier.ts';
import { buildOpenAIChatCompletion, buildOpenAIChatCompletionChunks } from './build-openai-chat-completion.ts';
import { answerOpenAIResponses, createOpenAIResponseMeta } from './build-openai-response.ts';
import { convertOpenAIChatRequest } from './convert-openai-chat-request.ts';
import { convertOpenAIResponsesRequest } from './convert-openai-responses-request.ts';
import { countTokens } from './count-tokens.ts';
import { EmulatorServer } from './emulator-server.ts';
import type { EmulatorExchange, EmulatorReply } from './emulator-server.ts';
import { formatSseEvent, SSE_DONE, SSE_HEADERS } from './format-sse-event.ts';
import { generateChatReply } from './generate-chat-reply.ts';
import type { ReplyRequest } from './generate-chat-reply.ts';
import { openAIError, openAIInvalidJsonError } from './openai-error-body.ts';
import { checkOpenAIRequest, openAIChatRequestSchema } from './openai-request-schema.ts';
import { openAIResponsesRequestSchema } from './openai-responses-request-schema.ts';
import { hashToIndex } from './sha256-hex.ts';

/** The Bedrock API key (`Authorization: Bearer`) the emulator accepts unless told otherwise. */
export const BEDROCK_EMULATOR_API_KEY = 'bedrock-api-key-emulator';
/** The access key id of the SigV4 credential the emulator accepts unless told otherwise. */
export const BEDROCK_EMULATOR_ACCESS_KEY_ID = 'AKIAEMULATOREXAMPLE';
/** Its secret access key. */
export const BEDROCK_EMULATOR_SECRET_ACCESS_KEY = 'emulator/secret/key/EXAMPLEKEY';
/**
 * Models served unless told otherwise: the gpt-oss ids of bedrock-runtime (`-1:0` suffix), the same models as
 * bedrock-mantle names them, and GPT-5.5 (`openai.gpt-5.5`, Mantle's id). Every model answers on every path.
 */
export const BEDROCK_EMULATOR_MODELS: readonly string[] = [
  'openai.gpt-oss-120b-1:0',
  'openai.gpt-oss-20b-1:0',
  'openai.gpt-oss-120b',
  'openai.gpt-oss-20b',
  'openai.gpt-5.5',
  'openai.gpt-5.6',
];
/** Regions a SigV4 credential scope may name unless told otherwise. */
export const BEDROCK_EMULATOR_REGIONS: readonly string[] = ['us-east-1', 'us-east-2', 'us-west-2'];
/** A last user message containing this marker is blocked as if by a guardrail (stopReason `guardrail_intervened`). */
export const BEDROCK_GUARDRAIL_MARKER = '[[guardrail]]';
/** The text a blocked answer carries: the default blocked-input message of a new Bedrock guardrail. */
export const BEDROCK_GUARDRAIL_MESSAGE = 'Sorry, the model cannot answer this question.';

/** Options of BedrockEmulator; every field has a default. */
export interface BedrockEmulatorOptions {
  /** Accepted Bedrock API keys; default `[BEDROCK_EMULATOR_API_KEY]`. */
  apiKeys?: readonly string[];
  /** Accepted SigV4 credentials; default the BEDROCK_EMULATOR_ACCESS_KEY_ID / _SECRET_ACCESS_KEY pair. */
  credentials?: readonly AwsCredential[];
  /** Regions a SigV4 scope may name, or `any` for any well-formed region; default BEDROCK_EMULATOR_REGIONS. */
  regions?: readonly string[] | 'any';
  /** Known model ids; default BEDROCK_EMULATOR_MODELS. */
  models?: readonly string[];
  /** Clock for the signature's 5-minute window; default the system clock. */
  now?: () => Date;
}

type BedrockRoute = { operation: 'converse'; modelId: string | undefined; stream: boolean } | { operation: 'chat' } | { operation: 'responses' };

/** Emulates Amazon Bedrock's inference endpoints (bedrock-runtime and bedrock-mantle): Converse, chat completions, Responses. */
export class BedrockEmulator extends EmulatorServer {
  readonly #apiKeys: ReadonlySet<string>;
  readonly #credentials: readonly AwsCredential[];
  readonly #regions: readonly string[] | undefined;
  readonly #models: readonly string[];
  readonly #now: () => Date;

  constructor(options: BedrockEmulatorOptions = {}) {
    // HTTP/2 as well: the AWS SDK's Bedrock Runtime client sends every call over HTTP/2 by default (NodeHttp2Handler).
    super('bedrock', { http2: true });
    this.#apiKeys = new Set(options.apiKeys ?? [BEDROCK_EMULATOR_API_KEY]);
    this.#credentials = options.credentials ?? [{ accessKeyId: BEDROCK_EMULATOR_ACCESS_KEY_ID, secretAccessKey: BEDROCK_EMULATOR_SECRET_ACCESS_KEY }];
    this.#regions = options.regions === 'any' ? undefined : (options.regions ?? BEDROCK_EMULATOR_REGIONS);
    this.#models = options.models ?? BEDROCK_EMULATOR_MODELS;
    this.#now = options.now ?? (() => new Date());
  }

  protected override responseHeaders(): Record<string, string> {
    return { 'x-amzn-requestid': randomUUID() };
  }

  protected override isStreaming(request: { path: string; body: unknown }): boolean {
    return request.path.endsWith('/converse-stream') || super.isStreaming(request);
  }

  protected override faultReply(status: number, exchange: EmulatorExchange): EmulatorReply {
    return bedrockFaultError(status, exchange.faults.errorCode);
  }

  protected override async handle(exchange: EmulatorExchange): Promise<void> {
    const denied = authenticateBedrockRequest(exchange.request, exchange.rawBody, {
      apiKeys: this.#apiKeys,
      credentials: this.#credentials,
      regions: this.#regions,
      now: this.#now(),
    });
    if (denied !== undefined) return this.sendReply(exchange, denied);
    const route = matchBedrockRoute(exchange.method, exchange.path);
    if (route === undefined) {
      // Approximate: AWS's answer to a path no operation serves, once authenticated.
      return this.sendReply(exchange, bedrockError(404, 'UnknownOperationException', 'Unknown operation.', { namespace: AWS_AUTH_ERROR_NAMESPACE }));
    }
    if (route.operation === 'chat') return this.#chat(exchange);
    if (route.operation === 'responses') return this.#responses(exchange);
    return this.#converse(exchange, route.modelId, route.stream);
  }

  async #converse(exchange: EmulatorExchange, modelId: string | undefined, stream: boolean): Promise<void> {
    if (exchange.invalidJson) {
      // Approximate wording of AWS's deserializer.
      return this.sendReply(exchange, bedrockError(400, 'SerializationException', 'Could not parse the request body as JSON.'));
    }
    const checked = checkBedrockConverseRequest(exchange.body ?? {});
    if ('problem' in checked) return this.sendReply(exchange, bedrockError(400, checked.problem.type, checked.problem.message));
    if (modelId === undefined || !this.#models.includes(modelId)) return this.sendReply(exchange, bedrockInvalidModelError());
    const answer = answerConverse(checked.data, this.cloud);
    const latencyMs = Math.max(1, Date.now() - Date.parse(exchange.entry.started_at));
    if (!stream) return this.sendReply(exchange, { status: 200, body: buildBedrockConverseResponse(answer, latencyMs) });

    const events = buildBedrockConverseStreamEvents(answer, latencyMs);
    // Frame sizes vary like Bedrock's padded frames, deterministically for a given answer.
    let frames = events.map((event, index) =>
      encodeBedrockEvent(event.eventType, event.payload, 1 + hashToIndex(48, JSON.stringify(event.payload), String(index))),
    );
    let faults = exchange.faults;
    const exception = faults.streamException;
    if (exception !== undefined) {
      // The stream ends with an exception event instead of being cut: the cut point becomes the exception's place.
      const after = Math.min(faults.disconnectAfterChunks ?? 2, frames.length);
      frames = [...frames.slice(0, after), encodeBedrockException(exception, bedrockStreamExceptionPayload(exception))];
      faults = { ...faults, disconnectAfterChunks: undefined };
    }
    await this.sendStream({ ...exchange, faults }, { headers: { 'content-type': BEDROCK_EVENT_STREAM_CONTENT_TYPE }, events: frames });
  }

  async #chat(exchange: EmulatorExchange): Promise<void> {
    if (exchange.invalidJson) return this.sendReply(exchange, { status: 400, body: openAIInvalidJsonError() });
    const checked = checkOpenAIRequest(openAIChatRequestSchema, exchange.body);
    if ('problem' in checked) {
      const { message, param, code } = checked.problem;
      return this.sendReply(exchange, { status: 400, body: openAIError(message, 'invalid_request_error', param, code) });
    }
    const body = checked.data;
    if (!this.#models.includes(body.model)) return this.sendReply(exchange, bedrockInvalidModelError());
    const reply = generateChatReply(convertOpenAIChatRequest(body, this.cloud));
    const meta = { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model: body.model, systemFingerprint: null };
    if (body.stream !== true) return this.sendReply(exchange, { status: 200, body: buildOpenAIChatCompletion(reply, meta) });
    const chunks = buildOpenAIChatCompletionChunks(reply, meta, { includeUsage: body.stream_options?.include_usage === true });
    await this.sendStream(exchange, { headers: { ...SSE_HEADERS }, events: chunks.map(formatSseEvent), end: SSE_DONE });
  }

  /**
   * The Responses API on the OpenAI-compatible paths: body errors in OpenAI's shape and an unknown model in Bedrock's,
   * as chat completions answers them there. Stateless like the other emulators: `previous_response_id`,
   * `conversation` and `item_reference` are refused as unknown, whatever `store` says.
   */
  async #responses(exchange: EmulatorExchange): Promise<void> {
    if (exchange.invalidJson) return this.sendReply(exchange, { status: 400, body: openAIInvalidJsonError() });
    const checked = checkOpenAIRequest(openAIResponsesRequestSchema, exchange.body);
    if ('problem' in checked) {
      const { message, param, code } = checked.problem;
      return this.sendReply(exchange, { status: 400, body: openAIError(message, 'invalid_request_error', param, code) });
    }
    const body = checked.data;
    if (!this.#models.includes(body.model)) return this.sendReply(exchange, bedrockInvalidModelError());
    const converted = convertOpenAIResponsesRequest(body, this.cloud);
    if ('refusal' in converted) return this.sendReply(exchange, converted.refusal);
    const meta = createOpenAIResponseMeta(body.model, body);
    await this.sendAnswer(exchange, answerOpenAIResponses(generateChatReply(converted.request), meta, body.stream === true));
  }
}

/** Generates the Converse answer: a guardrail block, tool calls, or text cut by max tokens or a stop sequence. */
function answerConverse(body: BedrockConverseRequest, cloud: string): BedrockAnswer {
  const request = convertBedrockConverseRequest(body, cloud);
  const reply = generateChatReply(request);
  const lastUser = request.messages.findLast((message) => message.role === 'user');
  if (lastUser?.text.includes(BEDROCK_GUARDRAIL_MARKER) === true) {
    const outputTokens = countTokens(BEDROCK_GUARDRAIL_MESSAGE);
    return {
      content: [{ text: BEDROCK_GUARDRAIL_MESSAGE }],
      stopReason: 'guardrail_intervened',
      usage: { inputTokens: reply.promptTokens, outputTokens, totalTokens: reply.promptTokens + outputTokens },
    };
  }
  const choice = reply.choices[0];
  const finish = choice?.finishReason ?? 'stop';
  return toBedrockAnswer(reply, mapToBedrockStopReason(finish, finish === 'stop' && stoppedBySequence(request, choice?.content ?? null)));
}

/** Whether a stop sequence shortened `content`: the same request without stop sequences says more. */
function stoppedBySequence(request: ReplyRequest, content: string | null): boolean {
  if (content === null || request.stop === undefined || request.stop.length === 0) return false;
  const unstopped = generateChatReply({ ...request, stop: undefined, maxTokens: undefined }).choices[0]?.content ?? null;
  return unstopped !== content;
}

/** Which operation `method path` addresses; the model id is percent-decoded (`openai.gpt-oss-120b-1%3A0`). */
function matchBedrockRoute(method: string, path: string): BedrockRoute | undefined {
  if (method !== 'POST') return undefined;
  const clean = path.replace(/\/+$/, '');
  if (clean === '/openai/v1/chat/completions' || clean === '/v1/chat/completions') return { operation: 'chat' };
  if (clean === '/openai/v1/responses' || clean === '/v1/responses') return { operation: 'responses' };
  const match = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(clean);
  if (match === null) return undefined;
  return { operation: 'converse', modelId: decodeModelId(match[1] ?? ''), stream: match[2] === 'converse-stream' };
}

function decodeModelId(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
