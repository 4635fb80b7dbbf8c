// Types shared by the gateway's HTTP handlers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Catalog, Route } from '../catalog/index.ts';
import type { PlanCache, RequestNeeds } from '../policy/index.ts';
import type { Executor } from '../execute/index.ts';
import type { Ledger, TokenUsage } from '../metering/index.ts';
import type { ResponseChainCache } from '../runtime/index.ts';
import type { RequestLogRow, RequestLogWriter, Store, TenantRecord } from '../store/index.ts';
import type { Limiter, RequestRateAdmission, Tenancy } from '../tenancy/index.ts';
import type { Principal } from './authenticate.ts';
import type { IncomingHttpHeaders } from 'node:http';
import type { ResponseTurn } from './response-turn.ts';
import type { ResponseStreamEvent } from '../wire/index.ts';
import type { StoredResponseRecord } from '../store/index.ts';
import type { DecisionLog } from './decision-log.ts';

/** Everything a handler may use; built once per gateway. */
export interface GatewayContext {
  catalog: Catalog;
  executor: Executor;
  store: Store;
  requestLog: RequestLogWriter;
  /** Routing decisions behind `x-crossway-decision` and GET /v1/crossway/decisions/{id}. */
  decisions: DecisionLog;
  /** Plans per (model, constraints, needs, catalog version, health epoch, minute). */
  planCache: PlanCache;
  /** The clock routing uses. */
  now: () => Date;
  logger: Logger;
  /** The master key's bytes, compared in constant time (cheaper than hashing every presented key). */
  masterKey: Buffer;
  /** The installation's key sealing compaction items (runtime/compaction-content.ts); never leaves the gateway. */
  compactionKey: Buffer;
  bodyLimitBytes: number;
  /** Tenants and virtual keys. */
  tenancy: Tenancy;
  /** Rate limits and budgets per key and tenant. */
  limiter: Limiter;
  /** Usage events and their transfers, committed durably before a response completes. */
  ledger: Ledger;
  /** The items of previous_response_id chains this gateway stored or read, so that long chains are not re-read. */
  chainCache: ResponseChainCache;
  /** Background responses: running jobs, their live events, cancellation. */
  backgroundResponses: BackgroundJobs;
  /** The master key's tenant (`default`), cached briefly: the master key is the hot path of single-tenant installs. */
  masterTenant(): Promise<TenantRecord>;
  /** Drops the cached master tenant (after an admin changed it). */
  forgetMasterTenant(): void;
}

/** One HTTP exchange. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  /** performance.now() at arrival. */
  startedAt: number;
  /** Aborted when the client disconnects before the response finished. */
  signal: AbortSignal;
  principal: Principal | null;
  /** The raw body when it was read before the handler (Idempotency-Key requests); readJsonBody uses it. */
  rawBody: Buffer | null;
  /** The request taken from the caller's RPM right after authentication (every `/v1/*` call); the meter reuses it. */
  requestRate: RequestRateAdmission | null;
  /** Limits, budget reservation and ledger entry of the model call this exchange makes (a CallMeter), once routing made one. */
  meter: ExchangeMeter | null;
  /** Filled by handlers that call a model, written to the request log when the exchange ends. */
  log: Partial<RequestLogRow> | null;
}

/** What the server and handlers use of a call's meter (implemented by CallMeter). */
export interface ExchangeMeter {
  admit(model: string, routes: readonly Route[], needs: RequestNeeds): Promise<void>;
  headers(): Record<string, string>;
  complete(call: { route: Pick<Route, 'id' | 'provider' | 'region' | 'price'>; usage: TokenUsage; estimated: boolean; status: number }): Promise<string | null>;
  release(): void;
}

/** What handlers use of the background responses (implemented by BackgroundResponses). */
export interface BackgroundJobs {
  start(turn: ResponseTurn, principal: Principal, headers: IncomingHttpHeaders): void;
  cancel(tenant: string, id: string): Promise<StoredResponseRecord | null>;
  follow(tenant: string, id: string, after: number, emit: (event: ResponseStreamEvent) => Promise<void>, signal: AbortSignal): Promise<void>;
}

export type Handler = (gateway: GatewayContext, exchange: Exchange, params: Record<string, string>) => Promise<void>;

/** One entry of the gateway's route table. */
export interface RouteEntry {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /**
   * Exact path, with `:name` segments captured into params (`/admin/keys/:id`); or, with `prefix`, a prefix ending in
   * `/` whose whole rest (slashes included, as in model ids) becomes `params.rest`.
   */
  path: string;
  prefix?: boolean;
  auth: boolean;
  /** Honours the Idempotency-Key header (Stripe's semantics): every POST under /v1 that runs a model. */
  idempotent?: boolean;
  handler: Handler;
}
