// Types shared by the gateway's HTTP handlers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/index.ts';
import type { PlanCache } from '../policy/index.ts';
import type { Executor } from '../execute/index.ts';
import type { RequestLogRow, RequestLogWriter, Store } from '../store/index.ts';
import type { Principal } from './authenticate.ts';
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
  masterKeyHash: Buffer;
  bodyLimitBytes: number;
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
  /** Filled by handlers that call a model, written to the request log when the exchange ends. */
  log: Partial<RequestLogRow> | null;
}

export type Handler = (gateway: GatewayContext, exchange: Exchange, params: Record<string, string>) => Promise<void>;
