// What one model call runs with: who is calling, under which request id, until it is abandoned, routed by which
// preferences; and the long-lived services a call uses. No transport here: every front door (HTTP today; WebSocket,
// the Messages API and background jobs alike) builds a CallContext from what it received.
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/index.ts';
import type { Executor, UpstreamTimeSink } from '../execute/index.ts';
import type { Ledger } from '../metering/index.ts';
import type { PlanCache, RequestHeaders } from '../policy/index.ts';
import type { GatewayTracing } from '../observe/index.ts';
import type { ApiKeyRecord, DecisionRecord, StoredDecisionPlan, TenantRecord } from '../store/index.ts';
import type { Limiter, RequestRateAdmission } from '../tenancy/index.ts';

/** Who is calling: the master key (the `default` tenant, every right) or a tenant's virtual key. */
export interface Principal {
  kind: 'master' | 'key';
  /** The virtual key, or null for the master key. */
  key: ApiKeyRecord | null;
  /** The tenant every stored object and every usage event of this call belongs to. */
  tenant: TenantRecord;
  /** May use /admin/*: the master key for everything, an admin key for its own tenant. */
  admin: boolean;
}

/** One call (or turn) as the core sees it. */
export interface CallContext {
  principal: Principal;
  /** `req_...`: the id the client sees (`x-request-id`), in the request log and the usage event. */
  requestId: string;
  /** Aborted when the call is abandoned: the client went away, or a background job was cancelled or shut down. */
  signal: AbortSignal;
  /** performance.now() when the call arrived: the usage event's latency counts from it. */
  startedAt: number;
  /**
   * performance.now() after which the caller no longer waits for an answer (its own timeout, when it said so): no
   * attempt or retry starts past it and no attempt waits for its first byte beyond it, so that failover does not spend
   * upstream calls on an answer nobody will read. Null: the routes' own timeouts alone.
   */
  deadlineAt: number | null;
  /**
   * Headers that may carry routing preferences (`x-crossway-*`, see CONSTRAINT_HEADERS): a request's own, or those a
   * background job was stored with. Only the constraint headers are read; the body's `crossway` object is the other
   * source, read from the request itself.
   */
  routingHeaders: RequestHeaders;
  /** The request already taken from the caller's request rate (front doors take it right after authentication). */
  requestRate: RequestRateAdmission | null;
  /** Where the time spent waiting on upstream attempts is added up (an HTTP exchange's `upstreamMs`); none: not measured. */
  upstreamTime?: UpstreamTimeSink | undefined;
}

/** Where routing decisions go (implemented by DecisionLog). */
export interface DecisionSink {
  /** Queues a decision (with its plan's stored form, shared by every decision of a cached plan); never waits and never throws. */
  record(record: DecisionRecord, plan?: StoredDecisionPlan): void;
}

/** The long-lived services one call uses; built once per gateway. */
export interface CallServices {
  catalog: Catalog;
  executor: Executor;
  /** Plans per (model, constraints, needs, catalog version, health epoch, minute). */
  planCache: PlanCache;
  /** Routing decisions behind `x-crossway-decision` and GET /v1/crossway/decisions/{id}. */
  decisions: DecisionSink;
  /** Rate limits and budgets per key and tenant. */
  limiter: Limiter;
  /** Usage events and their transfers, committed durably before a call's answer completes. */
  ledger: Ledger;
  /** The clock routing uses. */
  now: () => Date;
  logger: Logger;
  /** OpenTelemetry spans and GenAI metrics; null or absent when no OTLP endpoint is configured. */
  tracing?: GatewayTracing | null;
}
