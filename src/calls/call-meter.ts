// The metering of one model call: admission before the upstream call (rate limits, a token reservation and the
// budget's worst-case reservation), then the usage event and its transfers committed durably before the response
// completes, and the reservations settled to what the call really used (or released when it produced nothing).
import type { Route } from '../catalog/index.ts';
import { estimateWorstCaseCosts, type TokenUsage } from '../metering/index.ts';
import type { RequestNeeds } from '../policy/index.ts';
import type { Admission } from '../tenancy/index.ts';
import type { CallContext, CallServices } from './call-context.ts';
import { createTimeOrderedId } from './create-time-ordered-id.ts';

/**
 * Output assumed for the budget's worst case when neither the request (`max_completion_tokens` / `max_tokens`) nor
 * any planned route (`limits.max_output`) bounds it. A request that names its bound is reserved exactly; this only
 * keeps an unbounded request from reserving nothing.
 */
export const DEFAULT_WORST_CASE_OUTPUT_TOKENS = 4096;

/** Average UTF-8 bytes per o200k_base token in English text, for the token-rate reservation (corrected at completion). */
const BYTES_PER_TOKEN_ESTIMATE = 4;

/** What completing a call records. */
export interface CompletedCall {
  route: Pick<Route, 'id' | 'model' | 'provider' | 'region' | 'price'>;
  usage: TokenUsage;
  /** True when the cloud reported no usage and Crossway counted the tokens itself. */
  estimated: boolean;
  /** Status the client got (499 when it went away). */
  status: number;
}

/** One model call's limits and ledger entry; lives as long as the call (runModelCall). */
export class CallMeter {
  readonly #services: Pick<CallServices, 'limiter' | 'ledger' | 'logger'>;
  readonly #context: CallContext;
  readonly #endpoint: string;
  readonly #startedAt = new Date();
  #admission: Admission | null = null;
  #finished = false;

  constructor(services: Pick<CallServices, 'limiter' | 'ledger' | 'logger'>, context: CallContext, endpoint: string) {
    this.#services = services;
    this.#context = context;
    this.#endpoint = endpoint;
  }

  /**
   * Admits the call against the key's and tenant's limits and budgets, or throws 429 (`rate_limit_exceeded` or
   * `insufficient_quota`), or 403 `budget_currency_mismatch` when a budget cannot bound a route's currency. `routes`
   * are every route the call may be tried on (the fallback models' too). Both reservations use one output bound: the
   * request's (`max_completion_tokens` / `max_tokens` / `max_output_tokens`), else the routes' largest `max_output`,
   * else DEFAULT_WORST_CASE_OUTPUT_TOKENS, times the choices (`n`). The budget reserves the worst case at the dearest
   * route's prices with every billed input byte a token (every input of an embeddings batch); the token rate reserves
   * the input estimate plus that output bound, corrected at completion.
   */
  async admit(model: string, routes: readonly Route[], needs: RequestNeeds): Promise<void> {
    const principal = this.#context.principal;
    if (this.#admission !== null) return;
    const outputBound = worstCaseOutputTokens(routes, needs);
    const billedInput = needs.billedInputTokens ?? needs.inputTokens;
    const worstCaseCosts = estimateWorstCaseCosts({
      prices: routes.map((route) => route.price),
      inputTokens: billedInput,
      maxOutputTokens: outputBound,
      margin: principal.tenant.margin,
    });
    // The bound counts bytes; the rate takes a typical bytes-per-token instead (the budget may not, the rate may).
    const inputEstimate = needs.exactInputTokens === undefined ? billedInput : Math.ceil(billedInput / BYTES_PER_TOKEN_ESTIMATE);
    this.#admission = await this.#services.limiter.admit({
      tenant: principal.tenant,
      key: principal.key,
      model,
      estimatedTokens: inputEstimate + outputBound,
      worstCaseCosts,
      ...(this.#context.requestRate === null ? {} : { requests: this.#context.requestRate }),
    });
  }

  /** OpenAI's `x-ratelimit-*` headers for the limits that apply (none before admission). */
  headers(): Record<string, string> {
    return this.#admission?.headers() ?? {};
  }

  /**
   * Records the call's usage event and transfers, resolving once they are durable, then settles the reservations to
   * the actual tokens and charge. Rejects when the ledger could not commit (the caller must then not complete the
   * response as a success). Only the first complete or release counts. Resolves with the usage event's id (null when
   * nothing was recorded: no caller, or already completed).
   */
  async complete(call: CompletedCall): Promise<string | null> {
    const principal = this.#context.principal;
    if (this.#finished) return null;
    this.#finished = true;
    const completedAt = new Date();
    try {
      const recorded = await this.#services.ledger.record({
        id: createTimeOrderedId('evt'),
        request_id: this.#context.requestId,
        tenant: principal.tenant.id,
        key_id: principal.key?.id ?? null,
        endpoint: this.#endpoint,
        // The model that served, which a fallback list may have moved away from the one asked for.
        model: call.route.model,
        route: call.route,
        usage: call.usage,
        estimated: call.estimated,
        latency_ms: Math.round(performance.now() - this.#context.startedAt),
        status: call.status,
        started_at: this.#startedAt.toISOString(),
        completed_at: completedAt.toISOString(),
        margin: principal.tenant.margin,
      });
      await this.#admission?.settle({
        tokens: call.usage.input_tokens + call.usage.output_tokens,
        cost: recorded.event.charged,
        currency: recorded.event.currency,
      });
      return recorded.event.id;
    } catch (error) {
      await this.#admission?.release();
      throw error;
    }
  }

  /** Ends the call without usage (it failed before any route produced output): reservations go back. Idempotent. */
  release(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#admission?.release().catch((error: unknown) => this.#services.logger.error({ err: error }, 'releasing a limit reservation failed'));
  }
}

/**
 * The most output tokens a call may produce over all its choices: the request's bound, else the routes' largest
 * `max_output`, else DEFAULT_WORST_CASE_OUTPUT_TOKENS; times `n` (each choice may use the whole bound).
 */
export function worstCaseOutputTokens(routes: readonly Pick<Route, 'limits'>[], needs: Pick<RequestNeeds, 'maxOutputTokens' | 'choices'>): number {
  const routeMaxOutput = Math.max(0, ...routes.map((route) => route.limits.max_output ?? 0));
  const perChoice = needs.maxOutputTokens ?? (routeMaxOutput > 0 ? routeMaxOutput : DEFAULT_WORST_CASE_OUTPUT_TOKENS);
  return perChoice * Math.max(1, needs.choices ?? 1);
}
