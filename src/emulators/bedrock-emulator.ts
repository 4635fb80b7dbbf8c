// Local stand-in for Amazon Bedrock's inference endpoints: bedrock-runtime's Converse and ConverseStream
// (`/model/{modelId}/converse[-stream]`, binary event stream), InvokeModel (`/model/{modelId}/invoke`, the OpenAI
// models' chat body) and the OpenAI-compatible chat completions and Responses (JSON and semantic SSE events,
// stateless) under `/openai/v1` and Mantle's `/v1`, behind Bedrock API keys or SigV4. Each model answers only on the
// paths AWS serves it on (bedrock-models.ts) and reasons when asked to (bedrock-reasoning.ts).
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
import {
  AWS_AUTH_ERROR_NAMESPACE,
  bedrockError,
  bedrockFaultError,
  bedrockInvalidModelError,
  bedrockStreamExceptionPayload,
  bedrockValidationError,
} from './bedrock-error-body.ts';
import { BEDROCK_EVENT_STREAM_CONTENT_TYPE, encodeBedrockEvent, encodeBedrockException } from './bedrock-event-stream-encoder.ts';
import { BEDROCK_EMULATOR_MODELS, findBedrockModelPath } from './bedrock-models.ts';
import type { BedrockApiPath, BedrockModelSpec } from './bedrock-models.ts';
import { addChatReasoning, addChunkReasoning, BEDROCK_REASONING_EFFORTS, generateBedrockReasoning, prefixInvokeReasoning } from './bedrock-reasoning.ts';
import type { BedrockReasoning } from './bedrock-reasoning.ts';
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
export { BEDROCK_EMULATOR_MODELS } from './bedrock-models.ts';
/**
 * Bedrock's answer to a bedrock-runtime operation on a model it does not serve there (e.g. Converse on a model served
 * only on Mantle), as quoted in public reports of Converse calls on embedding models.
 */
export const BEDROCK_UNSUPPORTED_ACTION = "This action doesn't support the model that you provided. Try again with a supported text or chat model.";
/** Approximate: AWS's wording for an InvokeModel body the model cannot read is the generic malformed-input message. */
const INVOKE_MALFORMED = 'Malformed input request, please reformat your input and try again.';
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
  /** Known models and the paths each is served on; default BEDROCK_EMULATOR_MODELS. */
  models?: readonly BedrockModelSpec[];
  /** Clock for the signature's 5-minute window; default the system clock. */
  now?: () => Date;
}

type BedrockRoute =
  | { operation: 'converse'; modelId: string | undefined; stream: boolean }
  | { operation: 'invoke'; modelId: string | undefined }
  | { operation: 'chat'; path: BedrockApiPath }
  | { operation: 'responses'; path: BedrockApiPath };

/** Emulates Amazon Bedrock's inference endpoints (bedrock-runtime and bedrock-mantle): Converse, chat completions, Responses. */
export class BedrockEmulator extends EmulatorServer {
  readonly #apiKeys: ReadonlySet<string>;
  readonly #credentials: readonly AwsCredential[];
  readonly #regions: readonly string[] | undefined;
  readonly #models: readonly BedrockModelSpec[];
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
    if (route.operation === 'chat') return this.#chat(exchange, route.path);
    if (route.operation === 'responses') return this.#responses(exchange, route.path);
    if (route.operation === 'invoke') return this.#invoke(exchange, route.modelId);
    return this.#converse(exchange, route.modelId, route.stream);
  }

  async #converse(exchange: EmulatorExchange, modelId: string | undefined, stream: boolean): Promise<void> {
    if (exchange.invalidJson) {
      // Approximate wording of AWS's deserializer.
      return this.sendReply(exchange, bedrockError(400, 'SerializationException', 'Could not parse the request body as JSON.'));
    }
    const checked = checkBedrockConverseRequest(exchange.body ?? {});
    if ('problem' in checked) return this.sendReply(exchange, bedrockError(400, checked.problem.type, checked.problem.message));
    const model = this.#runtimeModel(modelId, 'converse');
    if ('reply' in model) return this.sendReply(exchange, model.reply);
    const effort = readReasoningEffort(checked.data.additionalModelRequestFields ?? {}, model.spec);
    if ('reply' in effort) return this.sendReply(exchange, effort.reply);
    const answer = answerConverse(checked.data, this.cloud, effort.value);
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

  async #chat(exchange: EmulatorExchange, path: BedrockApiPath): Promise<void> {
    if (exchange.invalidJson) return this.sendReply(exchange, { status: 400, body: openAIInvalidJsonError() });
    const checked = checkOpenAIRequest(openAIChatRequestSchema, exchange.body);
    if ('problem' in checked) {
      const { message, param, code } = checked.problem;
      return this.sendReply(exchange, { status: 400, body: openAIError(message, 'invalid_request_error', param, code) });
    }
    const body = checked.data;
    const refused = this.#checkOpenAIPath(body.model, path);
    if (refused !== undefined) return this.sendReply(exchange, refused);
    const request = convertOpenAIChatRequest(body, this.cloud);
    const reply = generateChatReply(request);
    const reasoning = this.#reasoningOf(body.model, body.reasoning_effort, request);
    const meta = { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model: body.model, systemFingerprint: null };
    if (body.stream !== true) {
      const completion = buildOpenAIChatCompletion(reply, meta);
      return this.sendReply(exchange, { status: 200, body: reasoning === undefined ? completion : addChatReasoning(completion, reasoning) });
    }
    const built = buildOpenAIChatCompletionChunks(reply, meta, { includeUsage: body.stream_options?.include_usage === true });
    const chunks = reasoning === undefined ? built : addChunkReasoning(built, reasoning);
    await this.sendStream(exchange, { headers: { ...SSE_HEADERS }, events: chunks.map(formatSseEvent), end: SSE_DONE });
  }

  /**
   * InvokeModel for the OpenAI models: the chat completions body (`model` may be left out; `stream` must be false),
   * answered with a chat completion whose reasoning, when asked for, precedes the text in `<reasoning>` tags. Errors in
   * Bedrock's shape, as every bedrock-runtime operation answers them.
   */
  async #invoke(exchange: EmulatorExchange, modelId: string | undefined): Promise<void> {
    if (exchange.invalidJson) return this.sendReply(exchange, bedrockError(400, 'SerializationException', 'Could not parse the request body as JSON.'));
    const model = this.#runtimeModel(modelId, 'invoke');
    if ('reply' in model) return this.sendReply(exchange, model.reply);
    const raw = exchange.body;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return this.sendReply(exchange, bedrockValidationError(INVOKE_MALFORMED));
    const fields = raw as Record<string, unknown>;
    // "The value in the model field must match the one in the header"; "if you use InvokeModel, the stream value must be false".
    if ((fields.model !== undefined && fields.model !== model.spec.id) || (fields.stream !== undefined && fields.stream !== false)) {
      return this.sendReply(exchange, bedrockValidationError(INVOKE_MALFORMED));
    }
    const checked = checkOpenAIRequest(openAIChatRequestSchema, { ...fields, model: model.spec.id });
    if ('problem' in checked) return this.sendReply(exchange, bedrockValidationError(`${INVOKE_MALFORMED} ${checked.problem.message}`));
    const request = convertOpenAIChatRequest(checked.data, this.cloud);
    const reply = generateChatReply(request);
    const reasoning = this.#reasoningOf(model.spec.id, fields.reasoning_effort, request);
    const meta = { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model: model.spec.id, systemFingerprint: null };
    const completion = buildOpenAIChatCompletion(reply, meta);
    if (reasoning === undefined) return this.sendReply(exchange, { status: 200, body: completion });
    const withUsage = addChatReasoning(completion, reasoning);
    const choices = withUsage.choices.map((choice, index) => {
      if (index > 0) return choice;
      const { reasoning: _reasoning, ...message } = choice.message;
      return { ...choice, message: { ...message, content: prefixInvokeReasoning(choice.message.content, reasoning) } };
    });
    return this.sendReply(exchange, { status: 200, body: { ...withUsage, choices } });
  }

  /** A bedrock-runtime operation's model: its spec, or Bedrock's 400 for an unknown model or one served elsewhere. */
  #runtimeModel(modelId: string | undefined, path: 'converse' | 'invoke'): { spec: BedrockModelSpec } | { reply: EmulatorReply } {
    const spec = this.#models.find((candidate) => candidate.id === modelId);
    if (modelId === undefined || spec === undefined) return { reply: bedrockInvalidModelError() };
    if (findBedrockModelPath(this.#models, modelId, path) !== 'served') return { reply: bedrockValidationError(BEDROCK_UNSUPPORTED_ACTION) };
    return { spec };
  }

  /** Undefined when `path` serves `modelId`; else Bedrock's answer for an unknown model or a model served elsewhere. */
  #checkOpenAIPath(modelId: string, path: BedrockApiPath): EmulatorReply | undefined {
    const where = findBedrockModelPath(this.#models, modelId, path);
    if (where === 'served') return undefined;
    if (where === 'unknown') return bedrockInvalidModelError();
    // The wording AWS documents ("Responses API": a request with the wrong prefix for a model); status and error type approximate.
    return { status: 400, body: openAIError(`model \`${modelId}\` isn't supported on this route`, 'invalid_request_error', 'model', null) };
  }

  /** The reasoning `modelId` shows for `effort`, when it reasons at all. */
  #reasoningOf(modelId: string, effort: unknown, request: ReplyRequest): BedrockReasoning | undefined {
    if (this.#models.find((candidate) => candidate.id === modelId)?.reasoningField === undefined) return undefined;
    return generateBedrockReasoning(effort, lastUserText(request));
  }

  /**
   * The Responses API on the OpenAI-compatible paths: body errors in OpenAI's shape and an unknown model in Bedrock's,
   * as chat completions answers them there. Stateless like the other emulators: `previous_response_id`,
   * `conversation` and `item_reference` are refused as unknown, whatever `store` says.
   */
  async #responses(exchange: EmulatorExchange, path: BedrockApiPath): Promise<void> {
    if (exchange.invalidJson) return this.sendReply(exchange, { status: 400, body: openAIInvalidJsonError() });
    const checked = checkOpenAIRequest(openAIResponsesRequestSchema, exchange.body);
    if ('problem' in checked) {
      const { message, param, code } = checked.problem;
      return this.sendReply(exchange, { status: 400, body: openAIError(message, 'invalid_request_error', param, code) });
    }
    const body = checked.data;
    const refused = this.#checkOpenAIPath(body.model, path);
    if (refused !== undefined) return this.sendReply(exchange, refused);
    const converted = convertOpenAIResponsesRequest(body, this.cloud);
    if ('refusal' in converted) return this.sendReply(exchange, converted.refusal);
    const meta = createOpenAIResponseMeta(body.model, body);
    await this.sendAnswer(exchange, answerOpenAIResponses(generateChatReply(converted.request), meta, body.stream === true));
  }
}

/**
 * Generates the Converse answer: a guardrail block, tool calls, or text cut by max tokens or a stop sequence, after a
 * reasoning block when `effort` asks for one (its tokens counted in outputTokens, as Converse's TokenUsage has no
 * separate reasoning count).
 */
function answerConverse(body: BedrockConverseRequest, cloud: string, effort: unknown): BedrockAnswer {
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
  const answer = toBedrockAnswer(reply, mapToBedrockStopReason(finish, finish === 'stop' && stoppedBySequence(request, choice?.content ?? null)));
  const reasoning = generateBedrockReasoning(effort, lastUserText(request));
  if (reasoning === undefined) return answer;
  const { inputTokens, outputTokens } = answer.usage;
  return {
    content: [{ reasoningContent: { reasoningText: { text: reasoning.text } } }, ...answer.content],
    stopReason: answer.stopReason,
    usage: { inputTokens, outputTokens: outputTokens + reasoning.tokens, totalTokens: inputTokens + outputTokens + reasoning.tokens },
  };
}

/**
 * The reasoning effort of a Converse call's `additionalModelRequestFields`: the model's reasoning field, if set. A
 * field the model does not take, or an effort OpenAI does not define, is refused with a 400 ValidationException
 * (approximate wording: AWS passes these fields to the model, whose own refusal is not quoted publicly).
 */
function readReasoningEffort(fields: Record<string, unknown>, spec: BedrockModelSpec): { value: unknown } | { reply: EmulatorReply } {
  for (const [name, value] of Object.entries(fields)) {
    if (name !== spec.reasoningField)
      return { reply: bedrockValidationError(`This model doesn't support the additionalModelRequestFields field '${name.slice(0, 64)}'.`) };
    if (typeof value !== 'string' || !BEDROCK_REASONING_EFFORTS.includes(value)) {
      return { reply: bedrockValidationError(`The value of additionalModelRequestFields.${name} must be one of ${BEDROCK_REASONING_EFFORTS.join(', ')}.`) };
    }
  }
  return { value: spec.reasoningField === undefined ? undefined : fields[spec.reasoningField] };
}

function lastUserText(request: ReplyRequest): string {
  return request.messages.findLast((message) => message.role === 'user')?.text ?? '';
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
  if (clean === '/openai/v1/chat/completions' || clean === '/v1/chat/completions') return { operation: 'chat', path: clean };
  if (clean === '/openai/v1/responses' || clean === '/v1/responses') return { operation: 'responses', path: clean };
  const match = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(clean);
  if (match === null) return undefined;
  const modelId = decodeModelId(match[1] ?? '');
  if (match[2] === 'invoke') return { operation: 'invoke', modelId };
  return { operation: 'converse', modelId, stream: match[2] === 'converse-stream' };
}

function decodeModelId(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
