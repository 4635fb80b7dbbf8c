// The planner's contract: what a request needs, the constraints it runs under, the health it sees, and the plan.
import type { Agreement, Capability, Constraints, ModelEntry, Route } from '../catalog/index.ts';
import type { HostedTool } from '../wire/index.ts';

/** What a request requires of a route, read from the request itself. */
export interface RequestNeeds {
  /** Capabilities the request uses: tools -> `tools`, image parts -> `vision`, json_schema -> `json_schema`, stream -> `streaming`. */
  capabilities: Capability[];
  /** Input tokens: exact, or an upper bound when `exactInputTokens` is given (see inputTokensAgainst). */
  inputTokens: number;
  /**
   * The real tokenizer's count, computed on demand and remembered; absent when inputTokens is exact. Exact within a
   * token counter's work budget, never fewer than the real tokens past it (see createTokenCounter), never above inputTokens.
   */
  exactInputTokens?: () => number;
  /**
   * Counts the exact figure ahead, in slices that yield to the event loop (exact for several MB of text), so that a
   * later `exactInputTokens()` returns it at once; resolves without a count when `signal` aborts.
   */
  measureExactInputTokens?: (signal?: AbortSignal) => Promise<void>;
  /** Requested max output tokens, when the request sets one (per choice). */
  maxOutputTokens: number | null;
  /** Choices asked for (chat's `n`, 1 to 128): the output bound holds per choice, so a call may produce this many times it. Absent = 1. */
  choices?: number;
  /**
   * Input tokens the call is billed for, as an upper bound like `inputTokens`, when that differs from the context
   * need: an embeddings batch is billed for every input, while the context window bounds only the longest. Absent =
   * `inputTokens`.
   */
  billedInputTokens?: number;
  /** Top-level request parameters the client set (for `require_parameters`). */
  parameters: string[];
  /**
   * Hosted tools the request offers (Responses `tools`), each `forced` when tool_choice names it: routes whose cloud
   * runs them are preferred; see checkHostedTools for the others. Absent = none.
   */
  hostedTools?: readonly { tool: HostedTool; forced: boolean }[];
}

/** Health of the routes as the executor sees it. */
export interface HealthView {
  /** Changes whenever any route's state changes; plans are cached per epoch. */
  readonly epoch: number;
  state(routeId: string): 'closed' | 'open' | 'half_open';
  /** Exponentially weighted moving average of time to first byte, ms; null before any sample. */
  latencyMs(routeId: string): number | null;
}

/** Why a route was not kept. */
export type RejectionCode =
  | 'not_yet_available'
  | 'expired'
  | 'region'
  | 'compliance'
  | 'capability'
  | 'context_window'
  | 'price'
  | 'circuit_open'
  | 'provider_excluded'
  | 'first_ship_window'
  | 'license'
  | 'parameter_unsupported'
  | 'hosted_tool';

export interface RejectionReason {
  code: RejectionCode;
  /** Human-readable detail naming the date, region, tag, capability or primary concerned. */
  detail: string;
}

export interface KeptRoute {
  route: Route;
  /** 1-based position in the plan. */
  rank: number;
  /** Why it sits where it does (e.g. `right of first refusal: azure`, `price 5.00/30.00`). */
  basis: string;
}

export interface RejectedRoute {
  route: Route;
  reasons: RejectionReason[];
}

/** The result of planning one request for one model. */
export interface Plan {
  model: string;
  /** ISO timestamp the plan was made for. */
  at: string;
  /** The effective constraints (tenant policy narrowed by the request). */
  constraints: Constraints;
  kept: KeptRoute[];
  rejected: RejectedRoute[];
}

export interface PlanInput {
  model: ModelEntry;
  /** The model's routes in catalog order. */
  routes: Route[];
  needs: RequestNeeds;
  /** Effective constraints (see mergeConstraints). */
  constraints: Constraints;
  agreements: Agreement[];
  health: HealthView;
  now: Date;
}
