// Local stand-in for Vertex AI's OpenAI-compatible endpoint and, on the same port, Google's OAuth token endpoint:
// `POST /{v1|v1beta1}/projects/{project}/locations/{location}/endpoints/openapi/{chat/completions|embeddings}` behind
// OAuth access tokens that `POST /token` issues to registered service accounts (google-auth-library's own flow runs
// against it), with Google's error bodies. Sources: Vertex AI REST reference (`projects.locations.endpoints.chat.
// completions`, v1 and v1beta1; `projects.locations.endpoints.openapi.embeddings`, v1), "Call MaaS APIs for open
// models" and "OpenAI models" (docs/maas/openai: gpt-oss as `openai/gpt-oss-120b-maas`, `openai/gpt-oss-20b-maas`,
// available in `global` among other locations); OAuth scopes of the method: cloud-platform,
// cloud-platform.read-only, cloud-vertex-ai.firstparty.predict. Token endpoint: google-token-issuer.ts; error bodies:
// vertex-error-body.ts.
import { randomBytes } from 'node:crypto';
import { buildOpenAIChatCompletion, buildOpenAIChatCompletionChunks } from './build-openai-chat-completion.ts';
import { buildOpenAIEmbeddingResponse } from './build-openai-embedding-response.ts';
import { convertOpenAIChatRequest } from './convert-openai-chat-request.ts';
import { EmulatorServer } from './emulator-server.ts';
import type { EmulatorExchange, EmulatorReply } from './emulator-server.ts';
import { formatSseEvent, SSE_DONE, SSE_HEADERS } from './format-sse-event.ts';
import { generateChatReply } from './generate-chat-reply.ts';
import { GOOGLE_EMULATOR_PROJECT } from './google-service-account.ts';
import { GoogleTokenIssuer } from './google-token-issuer.ts';
import type { GoogleServiceAccountKey } from './google-token-issuer.ts';
import { checkOpenAIRequest, openAIChatRequestSchema, openAIEmbeddingRequestSchema } from './openai-request-schema.ts';
import {
  googleNotFoundPage,
  vertexFaultError,
  vertexInsufficientScopesError,
  vertexInvalidArgumentError,
  vertexInvalidJsonError,
  vertexModelNotFoundError,
  vertexPermissionDeniedError,
  vertexUnauthenticatedError,
  vertexUnknownLocationError,
} from './vertex-error-body.ts';
import type { GoogleApiErrorBody, VertexAuthFailure } from './vertex-error-body.ts';

/** The Google Cloud project the emulator serves unless told otherwise. */
export const VERTEX_EMULATOR_PROJECT = GOOGLE_EMULATOR_PROJECT;
/** The location demo routes use (gpt-oss is served at `global`). */
export const VERTEX_EMULATOR_LOCATION = 'global';
/** Locations the emulator serves unless told otherwise: `global`, the `us`/`eu` multi-regions and common regions. */
export const VERTEX_EMULATOR_LOCATIONS: readonly string[] = [
  'global',
  'us',
  'eu',
  'us-central1',
  'us-east1',
  'us-east4',
  'us-east5',
  'us-south1',
  'us-west1',
  'us-west4',
  'northamerica-northeast1',
  'europe-west1',
  'europe-west2',
  'europe-west3',
  'europe-west4',
  'europe-west9',
  'asia-northeast1',
  'asia-southeast1',
];
/** Chat model ids (publisher/model, as the body's `model`) served unless told otherwise. */
export const VERTEX_EMULATOR_MODELS: readonly string[] = ['openai/gpt-oss-120b-maas', 'openai/gpt-oss-20b-maas'];
/** Embedding model ids served unless told otherwise (approximation: vectors of 3072 values, gemini-embedding-001's size). */
export const VERTEX_EMULATOR_EMBEDDING_MODELS: readonly string[] = ['google/gemini-embedding-001'];
/** A never-expiring access token (cloud-platform scope) the emulator accepts unless told otherwise, for quick calls. */
export const VERTEX_EMULATOR_ACCESS_TOKEN = 'ya29.emulator-vertex-access-token';
/** OAuth scopes that allow calling the OpenAI-compatible methods. */
export const VERTEX_ACCEPTED_SCOPES: readonly string[] = [
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/cloud-platform.read-only',
  'https://www.googleapis.com/auth/cloud-vertex-ai.firstparty.predict',
];

/** Options of VertexEmulator; every field has a default. */
export interface VertexEmulatorOptions {
  /** Projects the caller may use; default `[VERTEX_EMULATOR_PROJECT]`. Others get 403 PERMISSION_DENIED. */
  projects?: readonly string[];
  /** Locations served; default VERTEX_EMULATOR_LOCATIONS. */
  locations?: readonly string[];
  /** Chat model ids; default VERTEX_EMULATOR_MODELS. */
  models?: readonly string[];
  /** Embedding model ids; default VERTEX_EMULATOR_EMBEDDING_MODELS. */
  embeddingModels?: readonly string[];
  /** Service accounts whose signed assertions `/token` accepts (more can be registered after start). */
  serviceAccounts?: readonly GoogleServiceAccountKey[];
  /** `expires_in` of issued tokens, in seconds; default 3600. */
  tokenLifetimeSeconds?: number;
  /** Static access tokens always accepted (cloud-platform scope); default `[VERTEX_EMULATOR_ACCESS_TOKEN]`. */
  accessTokens?: readonly string[];
}

type VertexOperation = 'chat' | 'embeddings';

interface VertexRoute {
  version: string;
  project: string;
  location: string;
  operation: VertexOperation;
}

const GEMINI_EMBEDDING_DIMENSIONS = 3072;

/** Emulates Vertex AI's OpenAI-compatible endpoint and the OAuth token endpoint its clients use. */
export class VertexEmulator extends EmulatorServer {
  readonly #projects: ReadonlySet<string>;
  readonly #locations: ReadonlySet<string>;
  readonly #models: readonly string[];
  readonly #embeddingModels: readonly string[];
  readonly #staticTokens: ReadonlySet<string>;
  readonly #issuer: GoogleTokenIssuer;

  constructor(options: VertexEmulatorOptions = {}) {
    super('vertex');
    this.#projects = new Set(options.projects ?? [VERTEX_EMULATOR_PROJECT]);
    this.#locations = new Set(options.locations ?? VERTEX_EMULATOR_LOCATIONS);
    this.#models = options.models ?? VERTEX_EMULATOR_MODELS;
    this.#embeddingModels = options.embeddingModels ?? VERTEX_EMULATOR_EMBEDDING_MODELS;
    this.#staticTokens = new Set(options.accessTokens ?? [VERTEX_EMULATOR_ACCESS_TOKEN]);
    this.#issuer = new GoogleTokenIssuer({ accounts: options.serviceAccounts, lifetimeSeconds: options.tokenLifetimeSeconds });
  }

  /** The token endpoint's URL, the `token_uri` of emulator service accounts; throws before start(). */
  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  /** Accepts assertions signed with this service account's key from now on. */
  registerServiceAccount(account: GoogleServiceAccountKey): void {
    this.#issuer.registerServiceAccount(account);
  }

  /** Issues an access token directly, as `/token` would: `{access_token, expires_in, token_type}`. */
  issueAccessToken(options: { scopes?: readonly string[]; lifetimeSeconds?: number } = {}): { access_token: string; expires_in: number } {
    const issued = this.#issuer.issue(options.scopes ?? [VERTEX_ACCEPTED_SCOPES[0]!], options.lifetimeSeconds);
    return issued as { access_token: string; expires_in: number };
  }

  // The token endpoint is Google's OAuth service, not Vertex: faults injected for Vertex leave it alone.
  protected override isExemptFromFaults(method: string, path: string): boolean {
    return method === 'POST' && path === '/token';
  }

  protected override responseHeaders(): Record<string, string> {
    return { vary: 'Origin, X-Origin, Referer' };
  }

  protected override faultReply(status: number): EmulatorReply {
    return { status, body: vertexFaultError(status) };
  }

  protected override async handle(exchange: EmulatorExchange): Promise<void> {
    if (exchange.method === 'POST' && exchange.path === '/token') return this.#token(exchange);
    const route = matchVertexRoute(exchange.method, exchange.path);
    if (route === undefined) return this.#notFoundPage(exchange);

    const denied = this.#authenticate(exchange, route);
    if (denied !== undefined) return this.#sendError(exchange, denied);
    if (!this.#projects.has(route.project)) return this.#sendError(exchange, vertexPermissionDeniedError(route.project, route.location));
    if (!this.#locations.has(route.location)) return this.#sendError(exchange, vertexUnknownLocationError(route.location));
    if (exchange.invalidJson) return this.#sendError(exchange, vertexInvalidJsonError());
    if (route.operation === 'chat') return this.#chat(exchange, route);
    return this.#embeddings(exchange, route);
  }

  #token(exchange: EmulatorExchange): void {
    const form = new URLSearchParams(exchange.rawBody.toString('utf8'));
    const host = exchange.request.headers.host;
    const ownUrls = [this.tokenUrl, ...(host === undefined ? [] : [`http://${host}/token`])];
    const reply = this.#issuer.exchange(form, ownUrls);
    this.sendReply(exchange, { status: reply.status, body: reply.body, headers: { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' } });
  }

  /** The 401/403 for the request's credentials, or undefined when its bearer token may call Vertex AI. */
  #authenticate(exchange: EmulatorExchange, route: VertexRoute): GoogleApiErrorBody | undefined {
    const headers = exchange.request.headers;
    const token = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
    let failure: VertexAuthFailure | undefined;
    if (token === undefined || token === '') {
      failure = headers['x-goog-api-key'] !== undefined || exchange.query.has('key') ? 'api-key' : 'missing';
    } else if (!this.#staticTokens.has(token)) {
      const checked = this.#issuer.check(token);
      if (!checked.ok) failure = checked.reason;
      else if (!checked.token.scopes.some((scope) => VERTEX_ACCEPTED_SCOPES.includes(scope))) {
        return vertexInsufficientScopesError(route.version, route.operation);
      }
    }
    return failure === undefined ? undefined : vertexUnauthenticatedError(failure, route.version, route.operation);
  }

  async #chat(exchange: EmulatorExchange, route: VertexRoute): Promise<void> {
    const checked = checkOpenAIRequest(openAIChatRequestSchema, exchange.body);
    if ('problem' in checked) return this.#sendError(exchange, vertexInvalidArgumentError(checked.problem.message));
    const body = checked.data;
    if (body.stream_options != null && body.stream !== true) {
      return this.#sendError(exchange, vertexInvalidArgumentError("The 'stream_options' parameter is only allowed when 'stream' is enabled."));
    }
    if (!this.#models.includes(body.model)) {
      return this.#sendError(exchange, vertexModelNotFoundError(route.project, route.location, body.model));
    }
    const reply = generateChatReply(convertOpenAIChatRequest(body, this.cloud));
    const meta = {
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      systemFingerprint: null,
    };
    if (body.stream !== true) return this.sendReply(exchange, { status: 200, body: buildOpenAIChatCompletion(reply, meta) });
    const chunks = buildOpenAIChatCompletionChunks(reply, meta, { includeUsage: body.stream_options?.include_usage === true });
    await this.sendStream(exchange, { headers: { ...SSE_HEADERS }, events: chunks.map(formatSseEvent), end: SSE_DONE });
  }

  #embeddings(exchange: EmulatorExchange, route: VertexRoute): void {
    const checked = checkOpenAIRequest(openAIEmbeddingRequestSchema, exchange.body);
    if ('problem' in checked) return this.#sendError(exchange, vertexInvalidArgumentError(checked.problem.message));
    const body = checked.data;
    if (!this.#embeddingModels.includes(body.model)) {
      return this.#sendError(exchange, vertexModelNotFoundError(route.project, route.location, body.model));
    }
    if (body.dimensions !== undefined && body.dimensions > GEMINI_EMBEDDING_DIMENSIONS) {
      return this.#sendError(
        exchange,
        vertexInvalidArgumentError(`Invalid value for 'dimensions' = ${body.dimensions}. Must be less than or equal to ${GEMINI_EMBEDDING_DIMENSIONS}.`),
      );
    }
    this.sendReply(exchange, {
      status: 200,
      body: buildOpenAIEmbeddingResponse(body.input, {
        model: body.model,
        dimensions: body.dimensions ?? GEMINI_EMBEDDING_DIMENSIONS,
        encodingFormat: body.encoding_format,
      }),
    });
  }

  #sendError(exchange: EmulatorExchange, body: GoogleApiErrorBody): void {
    this.sendReply(exchange, { status: body.error.code, body });
  }

  #notFoundPage(exchange: EmulatorExchange): void {
    const page = googleNotFoundPage(exchange.path);
    exchange.response.writeHead(404, { 'content-type': 'text/html; charset=UTF-8', 'content-length': String(Buffer.byteLength(page)) });
    exchange.response.end(page);
  }
}

/** Which OpenAI-compatible method `method path` addresses, if any. */
function matchVertexRoute(method: string, path: string): VertexRoute | undefined {
  if (method !== 'POST') return undefined;
  const match = /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/endpoints\/openapi\/(chat\/completions|embeddings)$/.exec(path);
  if (match === null) return undefined;
  return {
    version: match[1] ?? 'v1',
    project: decodeSegment(match[2] ?? ''),
    location: decodeSegment(match[3] ?? ''),
    operation: match[4] === 'embeddings' ? 'embeddings' : 'chat',
  };
}

/** A percent-decoded path segment; a malformed escape is kept as sent (and then matches no project or location). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
