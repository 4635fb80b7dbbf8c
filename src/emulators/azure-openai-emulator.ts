// Local stand-in for an Azure OpenAI resource, in both URL forms: v1 (`/openai/v1/...`, deployment named by `model`)
// and deployments (`/openai/deployments/{deployment}/...?api-version=`), with Azure's auth (api-key or Entra ID
// bearer), api-version rules, error bodies, and content-filter annotations. The Responses API
// (`POST /openai/v1/responses`, JSON and semantic SSE events, stateless whatever `store` says) is served on the v1
// form only, as Azure documents it (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/responses). Sources: Azure OpenAI REST reference
// (https://learn.microsoft.com/azure/ai-foundry/openai/reference, .../reference-preview-latest) and the public
// reports cited in azure-openai-error-body.ts and azure-api-version.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ChatCompletionChunk } from '../wire/index.ts';
import { isSupportedAzureApiVersion } from './azure-api-version.ts';
import {
  azureApiVersionNotSupportedError,
  azureContentFilterError,
  azureDeploymentNotFoundError,
  azureFaultError,
  azureInvalidKeyError,
  azureInvalidTokenError,
  azureOperationNotSupportedError,
  azurePromptFilterResults,
  azureResourceNotFoundError,
  azureSafeContentFilterResults,
} from './azure-openai-error-body.ts';
import { buildOpenAIChatCompletion, buildOpenAIChatCompletionChunks } from './build-openai-chat-completion.ts';
import { buildOpenAIEmbeddingResponse } from './build-openai-embedding-response.ts';
import { convertOpenAIChatRequest } from './convert-openai-chat-request.ts';
import { convertOpenAIResponsesRequest } from './convert-openai-responses-request.ts';
import { answerOpenAIResponses, createOpenAIResponseMeta } from './build-openai-response.ts';
import { EmulatorServer } from './emulator-server.ts';
import type { EmulatorExchange, EmulatorReply } from './emulator-server.ts';
import { formatSseEvent, SSE_DONE, SSE_HEADERS } from './format-sse-event.ts';
import { generateChatReply } from './generate-chat-reply.ts';
import { resolveEmbeddingDimensions } from './generate-embedding.ts';
import { openAIError, openAIInvalidJsonError } from './openai-error-body.ts';
import { checkOpenAIRequest, openAIChatRequestSchema, openAIEmbeddingRequestSchema } from './openai-request-schema.ts';
import type { OpenAIRequestProblem } from './openai-request-schema.ts';
import { openAIResponsesRequestSchema } from './openai-responses-request-schema.ts';
import { sha256Hex } from './sha256-hex.ts';

/** The `api-key` the Azure emulator accepts unless told otherwise. */
export const AZURE_EMULATOR_API_KEY = 'emulator-azure-key';
/** The Entra ID bearer token the Azure emulator accepts unless told otherwise. */
export const AZURE_EMULATOR_ENTRA_TOKEN = 'emulator-entra-token';
/** Deployments (name -> model) of the emulated resource unless told otherwise. */
export const AZURE_EMULATOR_DEPLOYMENTS: Readonly<Record<string, string>> = {
  'gpt-5.5': 'gpt-5.5',
  'gpt-5.6': 'gpt-5.6',
  'text-embedding-3-small': 'text-embedding-3-small',
};
/** A user message containing this marker gets Azure's 400 content-filter error. */
export const AZURE_CONTENT_FILTER_MARKER = '[[content-filter]]';

/** Options of AzureOpenAIEmulator; every field has a default. */
export interface AzureOpenAIEmulatorOptions {
  /** Accepted `api-key` values; default `[AZURE_EMULATOR_API_KEY]`. */
  apiKeys?: readonly string[];
  /** Accepted `Authorization: Bearer` tokens; default `[AZURE_EMULATOR_ENTRA_TOKEN]`. */
  bearerTokens?: readonly string[];
  /** Deployment name -> model; default AZURE_EMULATOR_DEPLOYMENTS. */
  deployments?: Readonly<Record<string, string>>;
  /** Version suffix Azure appends to chat model names in responses (`gpt-5.5-2026-04-23`); default `2026-04-23`. */
  modelVersion?: string;
}

type AzureOperation = 'chat' | 'responses' | 'embeddings' | 'models';

interface AzureRoute {
  form: 'v1' | 'deployments';
  operation: AzureOperation;
  deployment?: string;
}

// Operation names Azure quotes in its 429 messages.
const OPERATION_NAMES: Record<AzureOperation, string> = {
  chat: 'ChatCompletions_Create',
  responses: 'Responses_Create',
  embeddings: 'Embeddings_Create',
  models: 'Models_List',
};
const MODEL_CREATED = 1_767_225_600;

/** Emulates an Azure OpenAI resource: chat completions, responses (v1 form), embeddings and the v1 model list. */
export class AzureOpenAIEmulator extends EmulatorServer {
  readonly #apiKeys: ReadonlySet<string>;
  readonly #bearerTokens: ReadonlySet<string>;
  readonly #deployments: Readonly<Record<string, string>>;
  readonly #modelVersion: string;

  constructor(options: AzureOpenAIEmulatorOptions = {}) {
    super('azure');
    this.#apiKeys = new Set(options.apiKeys ?? [AZURE_EMULATOR_API_KEY]);
    this.#bearerTokens = new Set(options.bearerTokens ?? [AZURE_EMULATOR_ENTRA_TOKEN]);
    this.#deployments = options.deployments ?? AZURE_EMULATOR_DEPLOYMENTS;
    this.#modelVersion = options.modelVersion ?? '2026-04-23';
  }

  protected override responseHeaders(): Record<string, string> {
    const id = randomUUID();
    return { 'apim-request-id': id, 'x-request-id': id };
  }

  protected override faultReply(status: number, exchange: EmulatorExchange): EmulatorReply {
    const operation = matchAzureRoute(exchange.method, exchange.path)?.operation ?? 'chat';
    const apiVersion = exchange.query.get('api-version') ?? 'v1';
    const seconds = exchange.faults.retryAfterSeconds;
    const headers: Record<string, string> =
      status === 429 || exchange.faults.retryAfterExplicit ? { 'retry-after-ms': String(Math.round(seconds * 1000)) } : {};
    return { status, headers, body: azureFaultError(status, OPERATION_NAMES[operation], apiVersion, seconds) };
  }

  protected override async handle(exchange: EmulatorExchange): Promise<void> {
    const denied = this.#authenticate(exchange);
    if (denied !== undefined) return this.sendReply(exchange, denied);

    const route = matchAzureRoute(exchange.method, exchange.path);
    if (route === undefined) return this.sendReply(exchange, { status: 404, body: azureResourceNotFoundError() });
    // Azure answers a missing or unknown api-version with 404 on the deployments form and 400 on the v1 form.
    if (!isSupportedAzureApiVersion(route.form, exchange.query.get('api-version'))) {
      return route.form === 'v1'
        ? this.sendReply(exchange, { status: 400, body: azureApiVersionNotSupportedError() })
        : this.sendReply(exchange, { status: 404, body: azureResourceNotFoundError() });
    }
    if (route.operation === 'models') return this.sendReply(exchange, { status: 200, body: this.#modelList() });
    if (exchange.invalidJson) return this.sendReply(exchange, { status: 400, body: openAIInvalidJsonError() });

    const raw = isRecord(exchange.body) ? exchange.body : undefined;
    const deployment = route.deployment ?? (typeof raw?.model === 'string' ? raw.model : undefined);
    const model = deployment === undefined ? undefined : this.#deployments[deployment];
    if (deployment !== undefined && model === undefined) {
      return this.sendReply(exchange, { status: 404, body: azureDeploymentNotFoundError() });
    }
    // On the deployments form the path names the deployment and a `model` in the body is ignored.
    const body = route.deployment !== undefined && raw !== undefined ? { ...raw, model: route.deployment } : exchange.body;
    if (route.operation === 'chat') return this.#chat(exchange, body, model);
    if (route.operation === 'responses') return this.#responses(exchange, body, model);
    return this.#embeddings(exchange, body, model);
  }

  #authenticate(exchange: EmulatorExchange): EmulatorReply | undefined {
    const headers = exchange.request.headers;
    const apiKey = headers['api-key'];
    if (typeof apiKey === 'string') return this.#apiKeys.has(apiKey) ? undefined : { status: 401, body: azureInvalidKeyError() };
    const token = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
    if (token === undefined) return { status: 401, body: azureInvalidKeyError() };
    if (this.#bearerTokens.has(token)) return undefined;
    // The v1 API also takes the API key as a bearer token: Microsoft's v1 examples point the plain OpenAI client
    // (which sends `Authorization: Bearer <api key>`) at `/openai/v1/` ("Azure OpenAI v1 API", learn.microsoft.com
    // /azure/ai-foundry/openai/api-version-lifecycle). The deployments form keeps Bearer for Entra ID tokens only.
    if (this.#apiKeys.has(token) && matchAzureRoute(exchange.method, exchange.path)?.form === 'v1') return undefined;
    return { status: 401, body: azureInvalidTokenError() };
  }

  async #chat(exchange: EmulatorExchange, input: unknown, model: string | undefined): Promise<void> {
    const checked = checkOpenAIRequest(openAIChatRequestSchema, input);
    if ('problem' in checked) return this.#badRequest(exchange, checked.problem);
    if (model === undefined) return this.sendReply(exchange, { status: 404, body: azureDeploymentNotFoundError() });
    const body = checked.data;
    if (isEmbeddingModel(model)) {
      return this.sendReply(exchange, { status: 400, body: azureOperationNotSupportedError('chatCompletion', model) });
    }
    const request = convertOpenAIChatRequest(body, this.cloud);
    if (request.messages.some((message) => message.role === 'user' && message.text.includes(AZURE_CONTENT_FILTER_MARKER))) {
      return this.sendReply(exchange, { status: 400, body: azureContentFilterError() });
    }
    const reply = generateChatReply(request);
    const meta = {
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      created: Math.floor(Date.now() / 1000),
      model: this.#versionedModel(model),
      systemFingerprint: `fp_${sha256Hex(model).slice(0, 10)}`,
    };
    if (body.stream !== true) {
      const completion = buildOpenAIChatCompletion(reply, meta);
      return this.sendReply(exchange, {
        status: 200,
        body: {
          ...completion,
          choices: completion.choices.map((choice) => ({
            ...choice,
            content_filter_results: choice.message.content === null ? {} : azureSafeContentFilterResults(),
          })),
          prompt_filter_results: azurePromptFilterResults(),
        },
      });
    }
    // Azure opens a stream with a chunk holding only the prompt's filter results, then annotates each content delta.
    const prelude = { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: azurePromptFilterResults() };
    const chunks = buildOpenAIChatCompletionChunks(reply, meta, { includeUsage: body.stream_options?.include_usage === true });
    await this.sendStream(exchange, {
      headers: { ...SSE_HEADERS },
      events: [prelude, ...chunks.map(annotateChunk)].map(formatSseEvent),
      end: SSE_DONE,
    });
  }

  async #responses(exchange: EmulatorExchange, input: unknown, model: string | undefined): Promise<void> {
    const checked = checkOpenAIRequest(openAIResponsesRequestSchema, input);
    if ('problem' in checked) return this.#badRequest(exchange, checked.problem);
    if (model === undefined) return this.sendReply(exchange, { status: 404, body: azureDeploymentNotFoundError() });
    if (isEmbeddingModel(model)) return this.sendReply(exchange, { status: 400, body: azureOperationNotSupportedError('responses', model) });
    const body = checked.data;
    const converted = convertOpenAIResponsesRequest(body, this.cloud);
    if ('refusal' in converted) return this.sendReply(exchange, converted.refusal);
    if (converted.request.messages.some((message) => message.role === 'user' && message.text.includes(AZURE_CONTENT_FILTER_MARKER))) {
      return this.sendReply(exchange, { status: 400, body: azureContentFilterError() });
    }
    const meta = createOpenAIResponseMeta(this.#versionedModel(model), body);
    await this.sendAnswer(exchange, answerOpenAIResponses(generateChatReply(converted.request), meta, body.stream === true));
  }

  /** Azure names the model with its version in answers (`gpt-5.5-2026-04-23`). */
  #versionedModel(model: string): string {
    return /\d{4}-\d{2}-\d{2}$/.test(model) ? model : `${model}-${this.#modelVersion}`;
  }

  #embeddings(exchange: EmulatorExchange, input: unknown, model: string | undefined): void {
    const checked = checkOpenAIRequest(openAIEmbeddingRequestSchema, input);
    if ('problem' in checked) return this.#badRequest(exchange, checked.problem);
    if (model === undefined) return this.sendReply(exchange, { status: 404, body: azureDeploymentNotFoundError() });
    if (!isEmbeddingModel(model)) {
      return this.sendReply(exchange, { status: 400, body: azureOperationNotSupportedError('embeddings', model) });
    }
    const body = checked.data;
    const size = resolveEmbeddingDimensions(model, body.dimensions);
    if ('problem' in size) return this.#badRequest(exchange, size.problem);
    this.sendReply(exchange, {
      status: 200,
      body: buildOpenAIEmbeddingResponse(body.input, { model, dimensions: size.dimensions, encodingFormat: body.encoding_format }),
    });
  }

  #modelList(): Record<string, unknown> {
    const models = [...new Set(Object.values(this.#deployments))];
    return {
      object: 'list',
      data: models.map((id) => ({
        id,
        object: 'model',
        created_at: MODEL_CREATED,
        status: 'succeeded',
        lifecycle_status: 'generally-available',
        capabilities: { chat_completion: !isEmbeddingModel(id), completion: false, embeddings: isEmbeddingModel(id), fine_tune: false, inference: true },
      })),
    };
  }

  // Azure relays OpenAI's own wording and shape for body validation errors.
  #badRequest(exchange: EmulatorExchange, problem: OpenAIRequestProblem): void {
    this.sendReply(exchange, { status: 400, body: openAIError(problem.message, 'invalid_request_error', problem.param, problem.code) });
  }
}

/** Which Azure operation and URL form `method path` addresses, if any. */
function matchAzureRoute(method: string, path: string): AzureRoute | undefined {
  const clean = path.replace(/\/+$/, '');
  if (method === 'GET' && clean === '/openai/v1/models') return { form: 'v1', operation: 'models' };
  if (method !== 'POST') return undefined;
  if (clean === '/openai/v1/chat/completions') return { form: 'v1', operation: 'chat' };
  if (clean === '/openai/v1/responses') return { form: 'v1', operation: 'responses' };
  if (clean === '/openai/v1/embeddings') return { form: 'v1', operation: 'embeddings' };
  const match = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(clean);
  if (match === null) return undefined;
  const operation = match[2] === 'embeddings' ? 'embeddings' : 'chat';
  return { form: 'deployments', operation, deployment: decodeURIComponent(match[1] ?? '') };
}

/** Adds Azure's per-choice `content_filter_results`: the four categories on content deltas, `{}` elsewhere. */
function annotateChunk(chunk: ChatCompletionChunk): ChatCompletionChunk {
  return {
    ...chunk,
    choices: chunk.choices.map((choice) => ({
      ...choice,
      content_filter_results: typeof choice.delta.content === 'string' && choice.delta.content !== '' ? azureSafeContentFilterResults() : {},
    })),
  };
}

function isEmbeddingModel(model: string): boolean {
  return model.includes('embedding');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
