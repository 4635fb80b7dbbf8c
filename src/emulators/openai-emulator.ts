// Local stand-in for api.openai.com: models, chat completions (JSON and SSE), responses (`POST /v1/responses`, JSON
// and semantic SSE events, stateless: nothing is stored whatever `store` says) and embeddings, with OpenAI's auth,
// error bodies and headers. Source: OpenAI API reference (https://platform.openai.com/docs/api-reference,
// openai/openai-openapi); error bodies in openai-error-body.ts.
import { randomBytes } from 'node:crypto';
import type { ModelList, ModelObject } from '../wire/index.ts';
import { buildOpenAIChatCompletion, buildOpenAIChatCompletionChunks } from './build-openai-chat-completion.ts';
import type { OpenAICompletionMeta } from './build-openai-chat-completion.ts';
import { buildOpenAIEmbeddingResponse } from './build-openai-embedding-response.ts';
import { convertOpenAIChatRequest } from './convert-openai-chat-request.ts';
import { convertOpenAIResponsesRequest } from './convert-openai-responses-request.ts';
import { answerOpenAIResponses, createOpenAIResponseMeta } from './build-openai-response.ts';
import { EmulatorServer } from './emulator-server.ts';
import type { EmulatorExchange, EmulatorReply } from './emulator-server.ts';
import { formatSseEvent, SSE_DONE, SSE_HEADERS } from './format-sse-event.ts';
import { generateChatReply } from './generate-chat-reply.ts';
import { resolveEmbeddingDimensions } from './generate-embedding.ts';
import {
  openAIError,
  openAIFaultError,
  openAIInvalidJsonError,
  openAIInvalidKeyError,
  openAIInvalidUrlError,
  openAIMissingKeyError,
  openAIModelNotFoundError,
} from './openai-error-body.ts';
import { checkOpenAIRequest, openAIChatRequestSchema, openAIEmbeddingRequestSchema } from './openai-request-schema.ts';
import { openAIResponsesRequestSchema } from './openai-responses-request-schema.ts';
import { sha256Hex } from './sha256-hex.ts';

/** The key the OpenAI emulator accepts unless told otherwise. */
export const OPENAI_EMULATOR_API_KEY = 'sk-emulator-openai';

/** Models the OpenAI emulator serves unless told otherwise. */
export const OPENAI_EMULATOR_MODELS: readonly string[] = ['gpt-5.5', 'gpt-5.6', 'gpt-4.1-mini', 'text-embedding-3-small', 'text-embedding-3-large'];

/** Options of OpenAIEmulator; every field has a default. */
export interface OpenAIEmulatorOptions {
  /** Accepted `Authorization: Bearer` keys; default `[OPENAI_EMULATOR_API_KEY]`. */
  apiKeys?: readonly string[];
  /** Known model ids; default OPENAI_EMULATOR_MODELS. */
  models?: readonly string[];
}

// Unix seconds reported as every model's `created`.
const MODEL_CREATED = 1_767_225_600;

/** Emulates the OpenAI API (`/v1/models`, `/v1/chat/completions`, `/v1/responses`, `/v1/embeddings`). */
export class OpenAIEmulator extends EmulatorServer {
  readonly #apiKeys: ReadonlySet<string>;
  readonly #models: readonly string[];

  constructor(options: OpenAIEmulatorOptions = {}) {
    super('openai');
    this.#apiKeys = new Set(options.apiKeys ?? [OPENAI_EMULATOR_API_KEY]);
    this.#models = options.models ?? OPENAI_EMULATOR_MODELS;
  }

  protected override responseHeaders(): Record<string, string> {
    return {
      'x-request-id': `req_${randomBytes(16).toString('hex')}`,
      'openai-version': '2020-10-01',
      'openai-processing-ms': '1',
    };
  }

  protected override faultReply(status: number, exchange: EmulatorExchange): EmulatorReply {
    const body = exchange.body as { model?: unknown } | undefined;
    const model = typeof body?.model === 'string' ? body.model : 'gpt-5.5';
    const seconds = exchange.faults.retryAfterSeconds;
    const headers: Record<string, string> =
      status === 429 ? { 'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': `${seconds}s` } : {};
    return { status, headers, body: openAIFaultError(status, model, seconds) };
  }

  protected override async handle(exchange: EmulatorExchange): Promise<void> {
    const authorization = exchange.request.headers.authorization;
    const key = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    if (key === undefined || key === '') return this.sendReply(exchange, { status: 401, body: openAIMissingKeyError() });
    if (!this.#apiKeys.has(key)) return this.sendReply(exchange, { status: 401, body: openAIInvalidKeyError(key) });

    const route = `${exchange.method} ${exchange.path.replace(/\/+$/, '')}`;
    if (route === 'GET /v1/models') return this.sendReply(exchange, { status: 200, body: this.#modelList() });
    if (route.startsWith('GET /v1/models/')) return this.#retrieveModel(exchange, decodeURIComponent(route.slice('GET /v1/models/'.length)));
    if (route === 'POST /v1/chat/completions') return this.#chat(exchange);
    if (route === 'POST /v1/responses') return this.#responses(exchange);
    if (route === 'POST /v1/embeddings') return this.#embeddings(exchange);
    this.sendReply(exchange, { status: 404, body: openAIInvalidUrlError(exchange.method, exchange.path) });
  }

  #modelList(): ModelList {
    return { object: 'list', data: this.#models.map((id) => modelObject(id)) };
  }

  #retrieveModel(exchange: EmulatorExchange, id: string): void {
    if (this.#models.includes(id)) return this.sendReply(exchange, { status: 200, body: modelObject(id) });
    this.sendReply(exchange, {
      status: 404,
      body: openAIError(`The model '${id}' does not exist`, 'invalid_request_error', 'model', 'model_not_found'),
    });
  }

  async #chat(exchange: EmulatorExchange): Promise<void> {
    if (exchange.invalidJson) return this.sendReply(exchange, { status: 400, body: openAIInvalidJsonError() });
    const checked = checkOpenAIRequest(openAIChatRequestSchema, exchange.body);
    if ('problem' in checked) return this.#badRequest(exchange, checked.problem);
    const body = checked.data;
    if (body.stream_options != null && body.stream !== true) {
      return this.#badRequest(exchange, {
        message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        param: 'stream_options',
        code: null,
      });
    }
    if (!this.#models.includes(body.model)) return this.sendReply(exchange, { status: 404, body: openAIModelNotFoundError(body.model) });
    if (isEmbeddingModel(body.model)) {
      return this.sendReply(exchange, {
        status: 404,
        body: openAIError(
          'This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use v1/completions?',
          'invalid_request_error',
          'model',
        ),
      });
    }
    const reply = generateChatReply(convertOpenAIChatRequest(body, this.cloud));
    const meta: OpenAICompletionMeta = {
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      systemFingerprint: `fp_${sha256Hex(body.model).slice(0, 10)}`,
      serviceTier: 'default',
    };
    if (body.stream !== true) return this.sendReply(exchange, { status: 200, body: buildOpenAIChatCompletion(reply, meta) });
    const chunks = buildOpenAIChatCompletionChunks(reply, meta, { includeUsage: body.stream_options?.include_usage === true });
    await this.sendStream(exchange, { headers: { ...SSE_HEADERS }, events: chunks.map(formatSseEvent), end: SSE_DONE });
  }

  async #responses(exchange: EmulatorExchange): Promise<void> {
    if (exchange.invalidJson) return this.sendReply(exchange, { status: 400, body: openAIInvalidJsonError() });
    const checked = checkOpenAIRequest(openAIResponsesRequestSchema, exchange.body);
    if ('problem' in checked) return this.#badRequest(exchange, checked.problem);
    const body = checked.data;
    if (!this.#models.includes(body.model)) return this.sendReply(exchange, { status: 404, body: openAIModelNotFoundError(body.model) });
    // Approximation: OpenAI's exact wording for an embedding model on /v1/responses is not documented.
    if (isEmbeddingModel(body.model)) {
      return this.#badRequest(exchange, { message: `The model \`${body.model}\` does not support the Responses API.`, param: 'model', code: null });
    }
    const converted = convertOpenAIResponsesRequest(body, this.cloud);
    if ('refusal' in converted) return this.sendReply(exchange, converted.refusal);
    const meta = createOpenAIResponseMeta(body.model, body);
    await this.sendAnswer(exchange, answerOpenAIResponses(generateChatReply(converted.request), meta, body.stream === true));
  }

  #embeddings(exchange: EmulatorExchange): void {
    if (exchange.invalidJson) return this.sendReply(exchange, { status: 400, body: openAIInvalidJsonError() });
    const checked = checkOpenAIRequest(openAIEmbeddingRequestSchema, exchange.body);
    if ('problem' in checked) return this.#badRequest(exchange, checked.problem);
    const body = checked.data;
    if (!this.#models.includes(body.model)) return this.sendReply(exchange, { status: 404, body: openAIModelNotFoundError(body.model) });
    // Approximation: OpenAI's exact wording for a chat model on /v1/embeddings is not documented.
    if (!isEmbeddingModel(body.model)) {
      return this.#badRequest(exchange, { message: `The model \`${body.model}\` does not support embeddings.`, param: 'model', code: null });
    }
    const size = resolveEmbeddingDimensions(body.model, body.dimensions);
    if ('problem' in size) return this.#badRequest(exchange, size.problem);
    this.sendReply(exchange, {
      status: 200,
      body: buildOpenAIEmbeddingResponse(body.input, {
        model: body.model,
        dimensions: size.dimensions,
        encodingFormat: body.encoding_format,
      }),
    });
  }

  #badRequest(exchange: EmulatorExchange, problem: { message: string; param: string | null; code: string | null }): void {
    this.sendReply(exchange, { status: 400, body: openAIError(problem.message, 'invalid_request_error', problem.param, problem.code) });
  }
}

function modelObject(id: string): ModelObject {
  return { id, object: 'model', created: MODEL_CREATED, owned_by: 'system' };
}

function isEmbeddingModel(model: string): boolean {
  return model.includes('embedding');
}
