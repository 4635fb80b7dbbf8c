// Types of the gateway's HTTP layer: the services it holds, one request as the middleware and handlers see it, and
// what a handler answers.
import type { IncomingMessage } from 'node:http';
import type { AgentSessions } from '../agents/index.ts';
import type { DecisionLog, Principal } from '../calls/index.ts';
import type { Cluster } from '../cluster/index.ts';
import type { GatewayMetrics } from '../observe/index.ts';
import type { RequestLogRow, RequestLogWriter, TenantRecord } from '../store/index.ts';
import type { RequestRateAdmission, Tenancy } from '../tenancy/index.ts';
import type { BackgroundResponses, TurnServices } from '../turns/index.ts';
import type { AuditTrail } from './audit-trail.ts';
import type { DashboardSessions, ResolvedSession } from './dashboard-sessions.ts';
import type { OidcSignIn } from './oidc-sign-in.ts';

/** Everything a handler may use; built once per gateway. */
export interface GatewayContext extends TurnServices {
  requestLog: RequestLogWriter;
  /** Routing decisions behind `x-crossway-decision` and GET /v1/crossway/decisions/{id}. */
  decisions: DecisionLog;
  /** The master key's bytes, compared in constant time (cheaper than hashing every presented key). */
  masterKey: Buffer;
  bodyLimitBytes: number;
  /** Tenants and virtual keys. */
  tenancy: Tenancy;
  /** Background responses: running jobs, their live events, cancellation. */
  backgroundResponses: BackgroundResponses;
  /** Agent sessions: their turn loops, input events and event streams. */
  agentSessions: AgentSessions;
  /** The master key's tenant (`default`), cached briefly: the master key is the hot path of single-tenant installs. */
  masterTenant(): Promise<TenantRecord>;
  /** Drops the cached master tenant (after an admin changed it). */
  forgetMasterTenant(): void;
  /** The shared counters' state for /readyz (`ok`, or since when local limits are served); null without Redis. */
  countersHealth: (() => string) | null;
  /** Set once shutdown began: /readyz answers 503 so that a load balancer stops sending, and answers close their connection. */
  draining: boolean;
  /** The other replicas (route health, invalidations, decisions shared over Redis); absent when this gateway is alone. */
  cluster?: Cluster;
  /** Prometheus metrics (GET /metrics); absent in contexts built without them (tests of single handlers). */
  metrics?: GatewayMetrics;
  /** `metrics.public`: GET /metrics needs no key. */
  metricsPublic?: boolean;
  /** Dashboard sessions (key sign-in and OIDC), resolved from the session cookie. */
  dashboardSessions: DashboardSessions;
  /** OpenID Connect sign-in; null when `auth.oidc` is not configured. */
  oidc: OidcSignIn | null;
  /** The audit log of admin actions and sign-ins. */
  audit: AuditTrail;
}

/** What a request log row says of a request beyond what the server knows (id, time, duration, status). */
export type RequestLogFields = Partial<Omit<RequestLogRow, 'id' | 'created_at' | 'duration_ms' | 'tenant_id' | 'key_id' | 'upstream_ms'>>;

/** One HTTP request, as the middleware and the handler see it. The response is a handler's return value. */
export interface Exchange {
  req: IncomingMessage;
  requestId: string;
  /** performance.now() at arrival. */
  startedAt: number;
  /** Aborted when the client disconnects before the response finished. */
  signal: AbortSignal;
  /** The route table's entry the request matched. */
  route: RouteEntry;
  params: Record<string, string>;
  /** The caller, once authentication ran (routes with `auth`). */
  principal: Principal | null;
  /** The request taken from the caller's RPM right after authentication (every `/v1/*` call); admission reuses it. */
  requestRate: RequestRateAdmission | null;
  /** The raw body when it was read before the handler (Idempotency-Key requests); readJsonBody uses it. */
  rawBody: Buffer | null;
  /** Set by handlers that call a model (values from the core's results), written to the request log when the request ends. */
  log: RequestLogFields | null;
  /** Time spent waiting on upstream attempts so far, in ms (added up by the executor); undefined until an attempt was made. */
  upstreamMs?: number;
  /** The dashboard session the caller authenticated with (the session cookie), when it did. */
  session?: ResolvedSession;
}

/** Writes a streamed answer: the head once, then chunks with backpressure. */
export interface StreamWriter {
  /** Sends status 200 and these headers (and the SSE ones); only the first call counts. */
  head(headers: Record<string, string>): void;
  /** Sends bytes; a returned promise resolves once the client took them (rejects when it went away). */
  write(bytes: Uint8Array | string): void | Promise<void>;
}

/** A whole answer: status, headers and body (JSON unless the headers say otherwise). */
export interface BodyResult {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | string;
}

/** A streamed answer (SSE): `stream` writes it, and may fail before its head (an error answer) or after (an error event). */
export interface StreamResult {
  status: 200;
  headers: Record<string, string>;
  stream: (writer: StreamWriter) => Promise<void>;
  /** The shape of the error answer or event when the stream fails (OpenAI's unless said). */
  errorShape?: ErrorShape;
}

/** Which front door's error JSON (and error event) a request is answered with. */
export type ErrorShape = 'openai' | 'anthropic';

/** A handler's answer. */
export type HttpResult = BodyResult | StreamResult;

export type Handler = (gateway: GatewayContext, exchange: Exchange, params: Record<string, string>) => Promise<HttpResult>;

/** A step around the handler (Hono's compose): may answer itself, or call `next` and look at (or wrap) its answer. */
export type Middleware = (gateway: GatewayContext, exchange: Exchange, next: () => Promise<HttpResult>) => Promise<HttpResult>;

/** One entry of the gateway's route table. */
export interface RouteEntry {
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';
  /**
   * Exact path, with `:name` segments captured into params (`/admin/keys/:id`); or, with `prefix`, a prefix ending in
   * `/` whose whole rest (slashes included, as in model ids) becomes `params.rest`.
   */
  path: string;
  prefix?: boolean;
  auth: boolean;
  /** Honours the Idempotency-Key header (Stripe's semantics): every POST under /v1 that runs a model. */
  idempotent?: boolean;
  /**
   * The error JSON of every error on this route, authentication failures included: OpenAI's by default, Anthropic's
   * on the Messages API, or chosen per request (GET /v1/models answers in Anthropic's shape to an Anthropic client).
   */
  errorShape?: ErrorShape | ((req: IncomingMessage) => ErrorShape);
  handler: Handler;
}
