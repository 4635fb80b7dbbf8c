// The schema of crossway.yaml: server settings, store, models and the routes that reach them.
// Validated once at start; everything inside Crossway receives these typed values.
import { z } from 'zod';
import { Secret } from './secret.ts';
import { auditConfigSchema, authConfigSchema, uiConfigSchema } from './auth-config-schema.ts';

const secret = z
  .string()
  .min(1)
  .transform((value) => new Secret(value));
const isoDate = z.iso.date().or(z.iso.datetime({ offset: true }));

/**
 * What a route can do. `web_search`, `file_search`, `code_interpreter` and `image_generation` say that the route's cloud
 * runs that hosted tool of the Responses API itself (with `responses`: only a native Responses route can run one).
 */
export const capabilitySchema = z.enum([
  'tools',
  'vision',
  'json_schema',
  'reasoning',
  'streaming',
  'responses',
  'embeddings',
  'web_search',
  'file_search',
  'code_interpreter',
  'image_generation',
]);
export type Capability = z.infer<typeof capabilitySchema>;

/** How Crossway authenticates to a route's endpoint. Credentials only ever go to that endpoint. */
export const routeAuthSchema = z.discriminatedUnion('type', [
  /** Azure's `api-key` header (or another header name for OpenAI-compatible servers that want one). */
  z.strictObject({ type: z.literal('api-key'), key: secret, header: z.string().min(1).default('api-key') }),
  /** `Authorization: Bearer <key>`: OpenAI, vLLM, Ollama, llama.cpp, Bedrock API keys. */
  z.strictObject({ type: z.literal('bearer'), key: secret }),
  /** Microsoft Entra ID token through @azure/identity's DefaultAzureCredential (or a given client). */
  z.strictObject({
    type: z.literal('entra'),
    tenant_id: z.string().optional(),
    client_id: z.string().optional(),
    client_secret: secret.optional(),
    scope: z.string().default('https://cognitiveservices.azure.com/.default'),
  }),
  /**
   * AWS Signature Version 4 (Bedrock). Static keys when given, else the AWS SDK's default chain
   * (environment, shared config/credentials profile, SSO, web identity, container and instance roles).
   */
  z.strictObject({
    type: z.literal('sigv4'),
    /** Signing service name. */
    service: z.string().default('bedrock'),
    /** Signing region; defaults to the route's region. */
    region: z.string().optional(),
    /** Named profile of ~/.aws/config for the default chain. */
    profile: z.string().optional(),
    access_key_id: secret.optional(),
    secret_access_key: secret.optional(),
    session_token: secret.optional(),
  }),
  /**
   * Google OAuth access tokens from application default credentials (google-auth-library): a service-account
   * or authorized-user file (`credentials_file`, else GOOGLE_APPLICATION_CREDENTIALS), gcloud, or the metadata server.
   */
  z.strictObject({
    type: z.literal('google'),
    credentials_file: z.string().optional(),
    scopes: z.array(z.string()).default(['https://www.googleapis.com/auth/cloud-platform']),
  }),
  /** No credentials (a local OpenAI-compatible server). */
  z.strictObject({ type: z.literal('none') }),
]);
export type RouteAuth = z.infer<typeof routeAuthSchema>;

export const priceSchema = z.strictObject({
  /** Per 1M input tokens. */
  input: z.number().nonnegative(),
  /** Per 1M cached input tokens. */
  cached_input: z.number().nonnegative().optional(),
  /** Per 1M output tokens. */
  output: z.number().nonnegative(),
  currency: z.string().length(3).default('USD'),
});

export const routeSchema = z.strictObject({
  /** Stable id naming provider, region and model, e.g. `azure-swedencentral-gpt-5.5`. */
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'use letters, digits, ".", "_", ":" or "-"'),
  /** The Crossway model this route serves (an entry of `models`). */
  model: z.string().min(1),
  /** The adapter (wire protocol) that speaks to this route. */
  provider: z.enum(['openai', 'azure', 'bedrock', 'vertex']),
  /** Base URL of the cloud endpoint, e.g. `https://api.openai.com/v1` or `https://myres.openai.azure.com`. */
  endpoint: z.url({ protocol: /^https?$/ }),
  region: z.string().min(1).default('global'),
  /** Data zone for residency rules: us, eu, apac, global. */
  data_zone: z.string().optional(),
  /** The model id or deployment name on that cloud; defaults to the Crossway model id. */
  deployment: z.string().min(1).optional(),
  /**
   * Protocol variant the adapter should use. Azure: `v1` (default) or `deployments`. Bedrock: `converse`
   * (default), `openai` (bedrock-runtime's /openai/v1 endpoint) or `mantle` (bedrock-mantle's /v1 endpoint).
   */
  api: z.string().optional(),
  /** Cloud project (Vertex AI: the Google Cloud project id). */
  project: z.string().optional(),
  /** API version where the cloud needs one (Azure deployments form: e.g. `2024-10-21`). */
  api_version: z.string().optional(),
  auth: routeAuthSchema.default({ type: 'none' }),
  available: z.strictObject({ from: isoDate.optional(), until: isoDate.optional() }).default({}),
  compliance: z.array(z.string()).default([]),
  price: priceSchema.optional(),
  limits: z
    .strictObject({
      context: z.number().int().positive().optional(),
      max_output: z.number().int().positive().optional(),
      rpm: z.number().int().positive().optional(),
      tpm: z.number().int().positive().optional(),
    })
    .default({}),
  capabilities: z.array(capabilitySchema).default([]),
  weight: z.number().nonnegative().optional(),
  /** Support tier of this route's contract (free-form, e.g. `enterprise`, `standard`, `community`). */
  support_tier: z.string().optional(),
  /** Per-attempt deadline for this route (ms); defaults to `execute.attempt_timeout_ms`. */
  timeout_ms: z.number().int().positive().optional(),
  /** Extra headers sent to this route (non-secret, e.g. an OpenAI organization id). */
  headers: z.record(z.string(), z.string()).default({}),
});
export type Route = z.infer<typeof routeSchema>;

export const modelSchema = z.strictObject({
  id: z.string().min(1),
  /** `chat` models answer /v1/chat/completions; `embedding` models answer /v1/embeddings. */
  kind: z.enum(['chat', 'embedding']).default('chat'),
  owned_by: z.string().default('crossway'),
  /** Release date of the model, used by first-ship windows. */
  released: isoDate.optional(),
  aliases: z.array(z.string().min(1)).default([]),
  /**
   * The dated snapshot answers name (`model` of completions, chunks, embeddings and Messages), as OpenAI answers
   * `gpt-4o` with `gpt-4o-2024-08-06`; the model's id when absent. The same whichever route serves the call.
   */
  snapshot: z.string().min(1).max(256).optional(),
});
export type ModelEntry = z.infer<typeof modelSchema>;

/** Longest region, zone, compliance tag or provider name a constraint may name (catalog names are far shorter). */
export const MAX_CONSTRAINT_NAME_CHARACTERS = 64;
/** Most entries of one constraint list: a request cannot make planning, plan-cache keys or decisions large. */
export const MAX_CONSTRAINT_LIST_ENTRIES = 32;

const constraintList = z.array(z.string().min(1).max(MAX_CONSTRAINT_NAME_CHARACTERS)).max(MAX_CONSTRAINT_LIST_ENTRIES).optional();

const mcpToolNames = z.array(z.string().min(1).max(128)).max(256);
const mcpToolFilter = z.strictObject({ tool_names: mcpToolNames.optional(), read_only: z.boolean().optional() });
/** One MCP server of `mcp.servers`: as the admin API registers one (POST /admin/mcp-servers). */
const mcpServerConfigSchema = z.strictObject({
  tenant: z.string().min(1).max(128).default('default'),
  server_label: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, underscores or dashes'),
  url: z.string().min(1).max(2048),
  description: z.string().max(1024).optional(),
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/), secret).optional(),
  /** An OAuth access token, sent as `Authorization: Bearer <token>`. */
  authorization: secret.optional(),
  credential_id: z.string().min(1).max(128).optional(),
  allowed_tools: z.union([mcpToolNames, mcpToolFilter]).optional(),
  require_approval: z.union([z.enum(['always', 'never']), z.strictObject({ always: mcpToolFilter.optional(), never: mcpToolFilter.optional() })]).optional(),
});
export type McpServerConfig = z.infer<typeof mcpServerConfigSchema>;

/**
 * Routing constraints: a tenant's policy (config for now) or one request's narrowing of it. Lists are allow-lists;
 * `regions` holds regions or data zones (`eu` matches every route whose data_zone is eu).
 */
export const constraintsSchema = z.strictObject({
  regions: constraintList,
  compliance: constraintList,
  providers: z
    .strictObject({
      order: constraintList,
      only: constraintList,
      ignore: constraintList,
    })
    .optional(),
  allow_fallbacks: z.boolean().optional(),
  require_parameters: z.boolean().optional(),
  sort: z.enum(['price', 'latency', 'throughput']).optional(),
  /**
   * A hosted tool (web_search, file_search, code_interpreter, image_generation) that no kept route runs: `drop` (the
   * default) sends the request without it, naming it in `x-crossway-dropped-tools` and the decision; `refuse` answers
   * 400 naming it. A forced tool (tool_choice) is never dropped.
   */
  hosted_tools: z.enum(['drop', 'refuse']).optional(),
  /**
   * Whether the Responses `mcp` tool may name a server by `server_url` (`allow`), or only servers an admin registered
   * (`deny`, the default). Read from the tenant's policy only; a request cannot set it. Even allowed, a URL never
   * reaches a loopback, private, link-local or metadata address.
   */
  mcp_server_urls: z.enum(['deny', 'allow']).optional(),
  /** Highest acceptable price per 1M tokens. */
  max_price: z.strictObject({ prompt: z.number().nonnegative().optional(), completion: z.number().nonnegative().optional() }).optional(),
});
export type Constraints = z.infer<typeof constraintsSchema>;

/**
 * A distribution agreement, as data: who may serve what, who ships first, who pays whom. Providers are named by the
 * routes' `provider` values; `models` scopes the agreement (absent = every model whose owner is `licensor`).
 */
export const agreementSchema = z.strictObject({
  id: z.string().min(1),
  description: z.string().optional(),
  /** The model owner granting the license (matches models[].owned_by). */
  licensor: z.string().min(1),
  /** Model ids the agreement covers; absent = all models owned by the licensor. */
  models: z.array(z.string().min(1)).optional(),
  license: z
    .strictObject({
      /** The provider (cloud) holding the license. */
      licensee: z.string().min(1),
      exclusive: z.boolean(),
      from: isoDate.optional(),
      until: isoDate.optional(),
    })
    .optional(),
  /**
   * New models ship first on the primary: while a model is younger than `window_days` (from its `released` date) only
   * the primary serves it, unless the primary lacks a capability the request needs. With `rofr`, the primary is
   * tried first whenever it can serve the request.
   */
  first_ship: z
    .strictObject({
      primary: z.string().min(1),
      window_days: z.number().int().nonnegative(),
      rofr: z.boolean().default(false),
      until: isoDate.optional(),
    })
    .optional(),
  revenue_share: z
    .strictObject({
      payer: z.string().min(1),
      payee: z.string().min(1),
      /** Share of the scoped revenue, 0..1. */
      rate: z.number().min(0).max(1),
      /** What revenue it applies to, e.g. `all` or a list of providers whose traffic counts. */
      scope: z.union([z.literal('all'), z.array(z.string().min(1))]).default('all'),
      from: isoDate.optional(),
      until: isoDate.optional(),
      /** Total payable under the agreement, in `currency`; a placeholder where the real cap is undisclosed. */
      cap: z.strictObject({ amount: z.string().regex(/^\d+(\.\d+)?$/), currency: z.string().length(3) }).optional(),
    })
    .optional(),
});
export type Agreement = z.infer<typeof agreementSchema>;

const byteSize = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*(b|kb|kib|mb|mib|gb|gib)?$/i, 'use bytes or a size like "8mb"')
    .transform(parseByteSize),
]);

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.coerce.number().int().min(0).max(65535).default(4000),
      /** Largest accepted request body. */
      body_limit: byteSize.default(8 * 1024 * 1024),
      /** The master key: full access. Generated in demo mode when absent. */
      master_key: secret.optional(),
      /** Longest wait for a request's headers, from the connection's first byte (slow-header clients are cut off). */
      headers_timeout_ms: z.number().int().positive().default(10_000),
      /** Longest wait for a whole request (headers and body) to arrive; answers, streams included, are not bound by it. */
      request_timeout_ms: z.number().int().positive().default(60_000),
      /** How long an idle keep-alive connection stays open (above the usual 60 s of load balancers). */
      keep_alive_timeout_ms: z.number().int().positive().default(65_000),
      /** Most open client connections; past 90 % of it, idle keep-alive connections are closed to make room. */
      max_connections: z.number().int().positive().default(4_096),
      /** Serves the Responses API over WebSocket (GET /v1/responses upgraded); off, upgrades get 426 and clients use HTTP. */
      websocket: z.boolean().default(true),
      /** Most open Responses WebSockets, over all callers; one more is refused (429) before the upgrade. */
      websocket_max_sockets: z.number().int().positive().default(256),
      /** Most open Responses WebSockets of one tenant, and of one key (the master key counts as one). */
      websocket_max_sockets_per_tenant: z.number().int().positive().default(64),
      websocket_max_sockets_per_key: z.number().int().positive().default(16),
      /** A socket with no turn running that has received nothing for this long is closed. */
      websocket_idle_timeout_ms: z.number().int().positive().default(300_000),
      /** How often each socket is pinged; one that has not answered the last ping by the next one is cut off. */
      websocket_ping_interval_ms: z.number().int().positive().default(30_000),
      /** A socket older than this takes no new turn (OpenAI's 60-minute limit): the client reconnects. */
      websocket_max_age_ms: z.number().int().positive().default(3_600_000),
      /** Bound on the memory a socket keeps of its last `store: false` response (estimated bytes of its chain's items). */
      websocket_memory_bytes: byteSize.default(8 * 1024 ** 2),
      /**
       * On SIGTERM, how long calls and streams in flight may take to finish before they are cut (and metered for what
       * they produced); below Kubernetes' default 30 s termination grace, so that the flush after it still fits.
       */
      shutdown_grace_ms: z.number().int().min(0).max(3_600_000).default(25_000),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** SQLite file path (the embedded default; used when `postgres` is not set). */
      sqlite: z.string().default('./.crossway/crossway.db'),
      /**
       * A PostgreSQL connection URL (`postgres://user:password@host:5432/db`): set, it selects the PostgreSQL store,
       * which several replicas share. The `CROSSWAY_DATABASE_URL` environment variable sets it when the file does not.
       */
      postgres: secret.optional(),
      /** Most connections one process opens to PostgreSQL. */
      pool_size: z.number().int().positive().max(1000).default(10),
    })
    .prefault({}),
  /**
   * Redis, shared by every replica: rate limits and budget reservations, route health, and invalidations. Unset (and no
   * `CROSSWAY_REDIS_URL`), each process keeps its own counters in memory.
   */
  redis: z
    .strictObject({
      /** `redis://[user:password@]host:port[/db]` or `rediss://` (TLS). */
      url: secret.optional(),
      /** Prefix of every key and channel, so that several installations can share one Redis. */
      key_prefix: z.string().max(64).default('crossway:'),
    })
    .prefault({}),
  execute: z
    .strictObject({
      /** Deadline for one attempt until the response headers (and first stream bytes) arrive. */
      attempt_timeout_ms: z.number().int().positive().default(60_000),
      /** Longest silence allowed inside a stream once it started. */
      stream_idle_timeout_ms: z.number().int().positive().default(120_000),
      /** Most routes tried for one request. */
      max_attempts: z.number().int().positive().default(4),
      /**
       * Outlier ejection, Envoy's consecutive-failure detector with its defaults
       * (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier): a route that fails this
       * many times in a row is ejected for `base_ejection_ms` x its ejection count (at most `max_ejection_ms`), then
       * half-open: one probe request at a time decides whether it closes or is ejected again.
       */
      outlier: z
        .strictObject({
          consecutive_failures: z.number().int().positive().default(5),
          base_ejection_ms: z.number().int().positive().default(30_000),
          max_ejection_ms: z.number().int().positive().default(300_000),
          /** A closed route's ejection count drops by one per this much healthy time (Envoy's `interval`). */
          decay_interval_ms: z.number().int().positive().default(10_000),
          /**
           * At most this share of a model's routes is ejected at once (one route always may be, as in Envoy). Envoy's
           * 10 % is for clusters of dozens of hosts; with 2 to 5 routes per model, 50 % ejects one of 2 or 3 and two of
           * 4 or 5 while half of them always keep serving.
           */
          max_ejection_percent: z.number().min(0).max(100).default(50),
          /**
           * When fewer than this share of a model's routes are healthy (closed), health is ignored and every route of
           * the model is used again, ejected ones ranked last (Envoy's panic threshold and default; 0 turns it off).
           */
          panic_threshold_percent: z.number().min(0).max(100).default(50),
        })
        .prefault({}),
      /** Weight of the newest sample in each route's time-to-first-byte moving average. */
      latency_ewma_alpha: z.number().gt(0).max(1).default(0.3),
      /**
       * Concurrent retries (attempts beyond a request's first) stay within max(percent % of active requests,
       * min_concurrency), Envoy's retry budget defaults, so that failover cannot multiply load in a storm.
       */
      retry_budget: z
        .strictObject({
          percent: z.number().min(0).max(100).default(20),
          min_concurrency: z.number().int().min(0).default(3),
        })
        .prefault({}),
    })
    .prefault({}),
  models: z.array(modelSchema).min(1),
  routes: z.array(routeSchema).min(1),
  agreements: z.array(agreementSchema).default([]),
  /** Other YAML files whose `agreements` are added to this one's (paths relative to this file). */
  include: z.array(z.string().min(1)).default([]),
  /** The routing policy every request starts from (tenants get their own with the tenancy work). */
  policy: constraintsSchema.default({}),
  decisions: z
    .strictObject({
      /** How long routing decisions stay readable at /v1/crossway/decisions/{id}. */
      retention_hours: z.number().positive().default(24),
    })
    .default({ retention_hours: 24 }),
  /** The request log (`request_log` table): one row per finished request, for the admin API and the dashboard. */
  request_log: z
    .strictObject({
      /** Rows older than this many days are pruned by the gateway's housekeeping. */
      retention_days: z.number().positive().default(30),
    })
    .prefault({}),
  /** The Responses `mcp` tool: how long Crossway waits for an MCP server, how long it reuses a tool list, how much it reads. */
  mcp: z
    .strictObject({
      /** Bound on one tools/list or tools/call, connection included. */
      timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
      /** How long a server's tool list is reused (per tenant, server and credentials). */
      tool_list_cache_ms: z.number().int().min(1).max(86_400_000).default(300_000),
      /** Largest tool result kept (its text); a larger one is a protocol error. */
      max_result_bytes: byteSize.default(1024 ** 2),
      /**
       * MCP servers registered in the configuration, per tenant (besides those of the admin API; a label here wins
       * over the same label there). Credentials are secrets: write them as `${ENV_VARIABLE}`.
       */
      servers: z.array(mcpServerConfigSchema).max(1000).default([]),
    })
    .prefault({}),
  /** The stateful runtime: stored responses and conversations. */
  runtime: z
    .strictObject({
      /** Stored responses are purged this many days after creation (OpenAI keeps them 30 days). */
      response_retention_days: z.number().positive().default(30),
      /**
       * Conversations (with their items) are purged this many days after creation; unset (the default), they are
       * kept until deleted, as OpenAI keeps them.
       */
      conversation_retention_days: z.number().positive().optional(),
      /** Most items one conversation may hold; an append past it is refused (400 `conversation_item_limit_exceeded`). */
      conversation_max_items: z.number().int().positive().default(10_000),
      /**
       * Most bytes (stored JSON) of responses and conversations one tenant may keep; a write past it is refused (400
       * `storage_quota_exceeded`) and deleting responses, conversations or items gives the bytes back. 1 GiB by default.
       */
      tenant_storage_bytes: byteSize.default(1024 ** 3),
      /** Bound on the memory of the previous_response_id chain cache (estimated bytes of its items); 64 MiB by default. */
      chain_cache_bytes: byteSize.default(64 * 1024 ** 2),
      /**
       * How long a replica's hold on a running background response lasts unless renewed (every second): when a replica
       * dies, another takes its jobs over within this. Longer rides out longer pauses; shorter recovers faster.
       */
      background_lease_ms: z.number().int().min(3_000).max(600_000).default(15_000),
      /**
       * Most bytes of context (a chain's or conversation's items, the new input and instructions) one turn sends
       * upstream: 50 MB, OpenAI's limit on a request's input payload. Beyond it `truncation: "auto"` drops the oldest
       * items and `disabled` answers context_length_exceeded, so stored context cannot grow one request without bound.
       */
      max_context_bytes: byteSize.default(50_000_000),
    })
    .prefault({}),
  /** Dashboard sessions (see auth-config-schema.ts). */
  ui: uiConfigSchema,
  /** Single sign-on for the dashboard: `auth.oidc`. */
  auth: authConfigSchema,
  /** The audit log of admin actions and sign-ins. */
  audit: auditConfigSchema,
});
export type CrosswayConfig = z.infer<typeof configSchema>;

const UNITS: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };

/** `"8mb"` -> 8000000, `"8mib"` -> 8388608. */
export function parseByteSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (match === null) throw new Error(`not a size: ${text}`);
  const unit = UNITS[(match[2] ?? '').toLowerCase() || 'b'] ?? 1;
  return Math.round(Number(match[1]) * unit);
}
