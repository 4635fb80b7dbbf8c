// One model call from plan to settlement, in one place: the key's model scope, the plan over the model (and its
// fallback models), admission against the key's and tenant's limits and budgets, execution with failover, the usage
// event and the settled reservations, and the routing decision. Every service that calls a model (chat, embeddings,
// Responses turns, compaction) runs through here.
import type { Catalog, Constraints, ModelEntry, Route } from '../catalog/index.ts';
import type { Attempt, ExecuteOptions, Executed } from '../execute/index.ts';
import type { TokenUsage } from '../metering/index.ts';
import type { ModelCallTrace, TokenCounts } from '../observe/index.ts';
import { describeEmptyPlan, mergeConstraints, needsExactInputCount, readRequestConstraints, type Plan, type RequestNeeds } from '../policy/index.ts';
import { type CrosswayError, excerpt, NoRouteAvailableError, PermissionDeniedError, toCrosswayError } from '../wire/index.ts';
import type { CallContext, CallServices, Principal } from './call-context.ts';
import { answerModelOf, upstreamModelOf } from './answer-model.ts';
import { CallMeter } from './call-meter.ts';
import { createDecisionId } from './decision-log.ts';
import { resolveModel } from './resolve-model.ts';
import { toPlannedDecision } from './to-decision-record.ts';

/** What routing needs of a call. */
export interface ModelCallInput {
  kind: 'chat' | 'embedding';
  /** The API, for the usage event (`chat.completions`, `embeddings`, `responses`, `responses.compact`). */
  endpoint: string;
  model: string;
  /** The request's `models` fallback list (OpenRouter style); the primary model may or may not repeat in it. */
  fallbackModels: readonly string[] | undefined;
  /** The request's `crossway` object. */
  preferences: unknown;
  needs: RequestNeeds;
  /** What the request loses on a route (hosted tools it does not run, items it cannot read); nothing when absent. */
  lossesOn?: (route: Route) => CallLosses;
  /** The request's chat messages, read (and recorded on the call's span) only when `telemetry.capture_content` is on. */
  prompt?: () => unknown;
}

/** What a request loses on the route that serves it: told to the client and kept in the decision. */
export interface CallLosses {
  /** Hosted tools sent without (`x-crossway-dropped-tools`). */
  droppedTools: string[];
  /** Every loss in words, for the decision's `notes`. */
  notes: string[];
}

/** What the client is told about a call that reached a route (as headers on HTTP): values, never written out of band. */
export interface CallInfo {
  /** `x-crossway-decision`: GET /v1/crossway/decisions/{id} explains the call. */
  decisionId: string;
  /** The route that answered. */
  route: Route;
  /** Upstream attempts it took, the answering one included. */
  attempts: number;
  /** The `model` the answer names: the catalog's model (or its dated snapshot), whichever cloud served it. */
  model: string;
  /** `x-crossway-upstream-model`: the id the route's cloud knows the model by (its deployment). */
  upstreamModel: string;
  /** The cloud's own request id, for support tickets with the cloud. */
  upstreamRequestId: string | null;
  /** OpenAI's `x-ratelimit-*` headers for the limits that apply to the caller. */
  rateLimits: Record<string, string>;
  /** Hosted tools the request was sent without on this route (`x-crossway-dropped-tools`); absent when none. */
  droppedTools?: string[];
}

/** What a call records when it is done: the tokens used (the cloud's, or counted), and the status the client got. */
export interface CallUsage {
  usage: TokenUsage;
  /** True when the cloud reported no usage and Crossway counted the tokens itself. */
  estimated: boolean;
  /** The status the client got (499 when it went away, the error's when the stream failed). */
  status: number;
}

/** A call that reached a route: its answer, what to tell the client, and how to record its usage. */
export interface OpenCall<T> {
  executed: Executed<T>;
  info: CallInfo;
  /**
   * Records the usage event and its transfers durably, then settles the reservations; resolves with the event's id
   * (null when already recorded). Rejects when the ledger could not commit: the answer must then not complete as a
   * success. Only the first call counts.
   */
  complete(usage: CallUsage): Promise<string | null>;
  /** The call's inference span when tracing is on: what the answer says that only the serving code sees goes here. */
  trace: ModelCallTrace | null;
}

/** An attempt as the decision records it: with the id its route's cloud was asked for. */
type RecordedAttempt = Attempt & { upstreamModel?: string };

/** Runs the call's request over some routes (an Executor method). */
export type ExecuteOnRoutes<T> = (routes: Route[], options: ExecuteOptions) => Promise<Executed<T>>;

/**
 * Plans, admits and executes a call, then hands it to `serve`, which reads the answer, records the usage
 * (`call.complete`) and delivers it; resolves with what `serve` returns. The reservations of a call that ends without
 * usage (it failed before any route answered, or `serve` threw before completing) are given back. A failure after the
 * model scope check carries the decision's id (`error.decisionId`). The decision records the last model's plan and
 * every attempt of every model tried.
 */
export async function runModelCall<T, R>(
  services: CallServices,
  context: CallContext,
  input: ModelCallInput,
  execute: ExecuteOnRoutes<T>,
  serve: (call: OpenCall<T>) => Promise<R>,
): Promise<R> {
  const trace = services.tracing?.startModelCall(input.kind === 'embedding' ? 'embeddings' : 'chat', input.model) ?? null;
  if (trace === null) return runCall(services, context, input, execute, serve, null);
  if (input.prompt !== undefined) trace.prompt(input.prompt);
  return trace.run(() => runCall(services, context, input, execute, serve, trace));
}

/** runModelCall's work, inside the call's inference span when tracing is on. */
async function runCall<T, R>(
  services: CallServices,
  context: CallContext,
  input: ModelCallInput,
  execute: ExecuteOnRoutes<T>,
  serve: (call: OpenCall<T>) => Promise<R>,
  trace: ModelCallTrace | null,
): Promise<R> {
  const names = [input.model, ...(input.fallbackModels ?? []).filter((name) => name !== input.model)];
  // Read once: a reload (SIGHUP) swaps services.catalog, and this call finishes on the catalog it started with.
  const catalog = services.catalog;
  checkModelScope({ catalog }, context.principal, names);
  const decisionId = createDecisionId();
  trace?.decided(decisionId);
  const meter = new CallMeter(services, context, input.endpoint);
  // Every attempt of every model tried: the decision lists them, and a failure says how many there were.
  const attempts: RecordedAttempt[] = [];
  try {
    const executed = await routeCall(services, catalog, context, input, names, decisionId, meter, attempts, execute, trace);
    const info: CallInfo = {
      decisionId,
      route: executed.route,
      attempts: executed.attempts.length,
      model: answerModelOf(catalog, executed.route),
      upstreamModel: upstreamModelOf(executed.route),
      upstreamRequestId: executed.upstreamRequestId,
      rateLimits: meter.headers(),
    };
    const dropped = input.lossesOn?.(executed.route).droppedTools ?? [];
    if (dropped.length > 0) info.droppedTools = dropped;
    if (trace !== null) traceAnswer(trace, executed, info.model);
    return await serve({
      executed,
      info,
      trace,
      complete: (usage) => {
        trace?.usage(toTokenCounts(usage.usage));
        return meter.complete({ route: executed.route, ...usage });
      },
    });
  } catch (thrown) {
    const error = toCrosswayError(thrown);
    error.decisionId ??= decisionId;
    if (attempts.length > 0) error.attemptCount ??= attempts.length;
    throw error;
  } finally {
    meter.release();
  }
}

/**
 * Runs `execute` over the planned routes of the first model that has any, moving to the next model of the fallback
 * list when a model has no route that may serve or every route failed. The plan follows the gateway's policy narrowed
 * by the tenant's and then by the request's; once a model has a plan, the call is admitted against the key's and
 * tenant's limits and budgets, for the worst case over every route it may still be tried on.
 */
async function routeCall<T>(
  services: CallServices,
  catalog: Catalog,
  context: CallContext,
  input: ModelCallInput,
  names: readonly string[],
  decisionId: string,
  meter: CallMeter,
  attempts: RecordedAttempt[],
  execute: ExecuteOnRoutes<T>,
  trace: ModelCallTrace | null,
): Promise<Executed<T>> {
  const principal = context.principal;
  const constraints = mergeConstraints(
    mergeConstraints(catalog.config.policy, principal.tenant.policy as Constraints),
    readRequestConstraints({ crossway: input.preferences }, context.routingHeaders),
  );
  const allowFallbacks = constraints.allow_fallbacks !== false;
  let lastError: CrosswayError | null = null;
  // One decision per call: with fallback models it shows the last model's plan and every model's attempts.
  let lastPlan: Plan | null = null;
  // Each attempt with the id its route's cloud was asked for, which the decision shows.
  const upstreamModels = new Map<string, string>();
  const onAttempt = (attempt: Attempt): void => {
    const upstreamModel = upstreamModels.get(attempt.route);
    attempts.push(upstreamModel === undefined ? attempt : { ...attempt, upstreamModel });
  };
  // What the request lost on the route that answered, for the decision.
  let notes: string[] = [];
  const planOf = async (name: string): Promise<{ model: ModelEntry; plan: Plan }> => {
    const { model, routes } = resolveModel(catalog, name, input.kind);
    // The planner counts synchronously within a small work budget: a large request is counted ahead, in slices.
    if (needsExactInputCount(input.needs, routes)) await input.needs.measureExactInputTokens?.(context.signal);
    const planRoutes = () =>
      services.planCache.planCached(
        { model, routes, needs: input.needs, constraints, agreements: catalog.agreements, health: services.executor.health, now: services.now() },
        catalog.version,
      );
    const plan = trace === null ? planRoutes() : trace.plan(model.id, planRoutes);
    return { model, plan };
  };
  // Plans made ahead for the reservation are the plans then run, so that the budget covers exactly what is tried.
  const planned = new Map<number, { model: ModelEntry; plan: Plan }>();
  try {
    for (const [index, name] of names.entries()) {
      const { model, plan } = planned.get(index) ?? (await planOf(name));
      lastPlan = plan;
      if (plan.kept.length === 0) {
        lastError = describeEmptyPlan(plan);
        continue;
      }
      const routes = plan.kept.map((kept) => kept.route);
      for (const route of routes) upstreamModels.set(route.id, upstreamModelOf(route));
      const tried = allowFallbacks ? routes : routes.slice(0, 1);
      // Admitted once, at the first model with a plan, for the worst case over every route the call may still be
      // tried on: this model's, and the fallback models' after it (a later model may well be dearer).
      await meter.admit(model.id, allowFallbacks ? [...tried, ...(await planFallbacks(names, index, planOf, planned))] : tried, input.needs);
      try {
        const executed = await execute(tried, { signal: context.signal, onAttempt, deadlineAt: context.deadlineAt, upstreamTime: context.upstreamTime });
        notes = input.lossesOn?.(executed.route).notes ?? [];
        return executed;
      } catch (error) {
        const isLast = index === names.length - 1;
        if (isLast || !allowFallbacks || !(error instanceof NoRouteAvailableError)) throw error;
        lastError = error;
      }
    }
    throw lastError ?? new NoRouteAvailableError(input.model, []);
  } finally {
    if (lastPlan !== null) services.decisions.record(...toPlannedDecision(decisionId, lastPlan, attempts, principal.tenant.id, notes, catalog.version));
  }
}

/**
 * Plans the fallback models after `index` (remembering the plans in `planned`) and returns their kept routes. A model
 * that cannot be resolved adds none: it fails as before when its turn comes, and no route of it can run.
 */
async function planFallbacks(
  names: readonly string[],
  index: number,
  planOf: (name: string) => Promise<{ model: ModelEntry; plan: Plan }>,
  planned: Map<number, { model: ModelEntry; plan: Plan }>,
): Promise<Route[]> {
  const routes: Route[] = [];
  for (let later = index + 1; later < names.length; later += 1) {
    try {
      const entry = await planOf(names[later]!);
      planned.set(later, entry);
      routes.push(...entry.plan.kept.map((kept) => kept.route));
    } catch {
      // Resolved again in its turn, which throws the same error there.
    }
  }
  return routes;
}

/** Tells the call's span which route answered (and a whole answer's id and finish reasons). */
function traceAnswer<T>(trace: ModelCallTrace, executed: Executed<T>, responseModel: string): void {
  const { route, value } = executed;
  // A stream's value carries its events: the executor resolved at its first one, the time to first token.
  const streamed = typeof value === 'object' && value !== null && 'events' in value;
  trace.routed({ provider: route.provider, route: route.id, region: route.region, responseModel, streamed });
  if (!streamed) trace.answered(value);
}

function toTokenCounts(usage: TokenUsage): TokenCounts {
  return { input: usage.input_tokens, output: usage.output_tokens, cached: usage.cached_tokens, reasoning: usage.reasoning_tokens ?? 0 };
}

/** A key limited to some models may call only those (by id or alias); others answer 403 naming the model. */
export function checkModelScope(services: Pick<CallServices, 'catalog'>, principal: Principal, names: readonly string[]): void {
  const allowed = principal.key?.models;
  if (allowed === null || allowed === undefined) return;
  for (const name of names) {
    const found = services.catalog.findModel(name);
    const ids = found === undefined ? [name] : [found.model.id, ...found.model.aliases];
    if (!ids.some((id) => allowed.includes(id))) {
      throw new PermissionDeniedError(`This API key may not use the model \`${excerpt(name)}\`; it is limited to: ${allowed.join(', ')}.`, 'model_not_allowed');
    }
  }
}
