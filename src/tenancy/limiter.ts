// Admission of a model call against its key's and tenant's rate limits and budgets, before any upstream call: request
// and token rates as token buckets, budgets as reservations of the call's worst-case cost, settled to the actual cost.
// Limits come from the live key and tenant records of each call, so a cached key can never skip a limit.
import { formatMoney, parseMoney } from '../metering/index.ts';
import type {
  AdmitResult,
  ApiKeyRecord,
  BudgetReading,
  BudgetSpec,
  BudgetState,
  Counters,
  RateWindowResult,
  ReservationRequest,
  Store,
  TenantRecord,
} from '../store/index.ts';
import { InsufficientQuotaError, PermissionDeniedError, RateLimitError } from '../wire/index.ts';
import { formatRateLimitDuration } from './format-rate-limit-duration.ts';

/** Rates are per minute, as OpenAI's RPM and TPM. */
const RATE_WINDOW_MS = 60_000;

export interface LimiterOptions {
  counters: Counters;
  store: Pick<Store, 'sumUsage'>;
  now?: () => Date;
}

/** Who is calling, for the request rate checked before anything else of a request is read. */
export interface RequestRateCaller {
  tenant: TenantRecord;
  key: ApiKeyRecord | null;
}

/**
 * One request taken from the key's and tenant's RPM right after authentication, before the body is read: the cheapest
 * check first, so that a refused client costs no parsing, counting or planning. It stays counted whatever follows.
 */
export interface RequestRateAdmission {
  /** The takes, for the `x-ratelimit-*-requests` headers. */
  readonly takes: readonly RateTake[];
}

/** What admitting a call needs to know. */
export interface AdmitRequest {
  tenant: TenantRecord;
  /** The virtual key, or null for the master key (tenant limits only). */
  key: ApiKeyRecord | null;
  model: string;
  /** Input estimate plus the output bound of every choice: reserved against TPM now, corrected at settle. */
  estimatedTokens: number;
  /**
   * The most the call can cost (margin included) in each currency its routes are priced in; empty when none is priced.
   * A budget refuses the call when any route may charge in another currency than its own.
   */
  worstCaseCosts: readonly { amount: bigint; currency: string }[];
  /** The request rate this request already took (takeRequest); without it, admit takes one request itself. */
  requests?: RequestRateAdmission;
}

/** What the call really used, for settling. */
export interface SettleUsage {
  tokens: number;
  /** The actual charge; null when unknown. */
  cost: bigint | null;
  /** Currency of `cost`; defaults to the worst case's currency. A budget in another currency is charged nothing. */
  currency?: string;
}

/** An admitted call: its headers, and the reservations it must settle or release exactly once. */
export interface Admission {
  /** OpenAI's `x-ratelimit-*` headers for the configured limits, from the tighter of key and tenant. */
  headers(): Record<string, string>;
  /** Corrects the token reservation to `tokens` and settles budgets to the actual cost. Only the first settle/release counts. */
  settle(usage: SettleUsage): Promise<void>;
  /** Gives back the token and budget reservations of a call that failed or was cancelled (requests stay counted). */
  release(): Promise<void>;
}

/** Which limit a counter belongs to, for messages and headers. */
interface Scope {
  /** `key` or `tenant`. */
  kind: 'key' | 'tenant';
  id: string;
  /** How messages name it: `key key_… (tenant acme)` or `tenant acme`. */
  label: string;
}

/** One unit count taken from a rate counter. */
export interface RateTake {
  counterKey: string;
  limit: number;
  cost: number;
  remaining: number;
  resetMs: number;
}

interface BudgetReservation {
  counterKey: string;
  budget: BudgetSpec;
  amount: bigint;
}

/** Whose budget: a key's or a tenant's (the same ids the counters' keys and the ledger's usage carry). */
export interface BudgetOwner {
  kind: 'key' | 'tenant';
  id: string;
}

/** A budget as it stands now (Limiter.readBudget). */
export interface BudgetStatus {
  budget: BudgetSpec;
  limit: bigint;
  /** The current period (UTC day or month, or `total` without bounds). */
  period: BudgetPeriod;
  /** Settled spend in the period. */
  spent: bigint;
  /** Held by calls in flight: their worst-case costs, until they settle. */
  reserved: bigint;
  /** Where `spent` comes from: the counters admissions check, or the ledger when the counters hold nothing for it. */
  source: 'counters' | 'ledger';
}

/** Admits model calls. Long-lived: one per gateway, over counters shared by every replica. */
export class Limiter {
  readonly #counters: Counters;
  readonly #store: Pick<Store, 'sumUsage'>;
  readonly #now: () => Date;

  constructor(options: LimiterOptions) {
    this.#counters = options.counters;
    this.#store = options.store;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Takes one request and the token estimate from every configured RPM and TPM (key first, then tenant) and reserves
   * the worst-case cost on every budget, all in one counters batch (one round trip on Redis). Refuses with
   * RateLimitError or InsufficientQuotaError (429), having kept nothing, the first refusing limit in that order named.
   */
  async admit(request: AdmitRequest): Promise<Admission> {
    const scopes = scopesOf(request);
    const tokens = Math.max(0, Math.ceil(request.estimatedTokens));
    const takes: PlannedTake[] = [];
    if (request.requests === undefined) {
      for (const { scope, limits } of scopes) {
        if (limits.rpm !== null) takes.push({ scope, kind: 'requests', counterKey: `rpm:${scope.kind}:${scope.id}`, cost: 1, limit: limits.rpm });
      }
    }
    for (const { scope, limits } of scopes) {
      if (limits.tpm !== null) takes.push({ scope, kind: 'tokens', counterKey: `tpm:${scope.kind}:${scope.id}`, cost: tokens, limit: limits.tpm });
    }
    const at = this.#now();
    const reservations: PlannedReservation[] = [];
    // A budget in another currency than a route's refuses the call, after the limits before it in the order.
    let mismatch: PermissionDeniedError | null = null;
    for (const { scope, limits } of scopes) {
      if (limits.budget === null) continue;
      mismatch = currencyMismatch(scope, limits.budget, request.worstCaseCosts);
      if (mismatch !== null) break;
      reservations.push(this.#planReservation(scope, limits.budget, request.worstCaseCosts, at));
    }
    const result = await this.#counters.admit({
      takes: takes.map((take) => ({ key: take.counterKey, cost: take.cost, limit: take.limit, windowMs: RATE_WINDOW_MS })),
      reservations: reservations.map((reservation) => reservation.request),
    });
    if (!result.ok) throw refusalOf(request.model, takes, reservations, result);
    const tokenTakes = takes.flatMap((take, index) => (take.kind === 'tokens' ? [rateTake(take, result.takes[index]!)] : []));
    const requestTakes = takes.flatMap((take, index) => (take.kind === 'requests' ? [rateTake(take, result.takes[index]!)] : []));
    const admitted: BudgetReservation[] = reservations.map(({ counterKey, budget, amount }) => ({ counterKey, budget, amount }));
    const reservedCurrency = request.worstCaseCosts.length === 1 ? request.worstCaseCosts[0]!.currency : null;
    if (mismatch === null) {
      return new LimiterAdmission(this.#counters, result.origin, reservedCurrency, request.requests?.takes ?? requestTakes, tokenTakes, admitted);
    }
    // Every limit before the mismatched budget let the call through: what this call took goes back, then the refusal.
    await this.#counters.settleAll({
      adjusts: [...requestTakes, ...tokenTakes].map((take) => ({ key: take.counterKey, amount: take.cost, limit: take.limit, windowMs: RATE_WINDOW_MS })),
      settlements: [],
      releases: admitted.map((reservation) => ({ key: reservation.counterKey, reserved: reservation.amount })),
      ...(result.origin === undefined ? {} : { origin: result.origin }),
    });
    throw mismatch;
  }

  /**
   * Takes one request from every configured RPM (key first, then tenant) in one counters batch, or refuses with
   * RateLimitError (429), keeping nothing. Called once per request right after authentication; admit() then takes no
   * request again.
   */
  async takeRequest(caller: RequestRateCaller): Promise<RequestRateAdmission> {
    const takes: PlannedTake[] = [];
    for (const { scope, limits } of scopesOf(caller)) {
      if (limits.rpm !== null) takes.push({ scope, kind: 'requests', counterKey: `rpm:${scope.kind}:${scope.id}`, cost: 1, limit: limits.rpm });
    }
    if (takes.length === 0) return { takes: [] };
    const result = await this.#counters.admit({
      takes: takes.map((take) => ({ key: take.counterKey, cost: take.cost, limit: take.limit, windowMs: RATE_WINDOW_MS })),
      reservations: [],
    });
    if (!result.ok) throw refusalOf(null, takes, [], result);
    return { takes: takes.map((take, index) => rateTake(take, result.takes[index]!)) };
  }

  /**
   * The budget of a key or tenant in its current period, as admissions see it: spent and reserved from the counters
   * when they hold the budget, else the spend from the ledger (loaded the way a first admission loads it, but not kept:
   * this is a read) and nothing reserved, since a budget with calls in flight is always held. One counters read, and
   * one ledger query when the counters hold nothing.
   */
  async readBudget(owner: BudgetOwner, budget: BudgetSpec): Promise<BudgetStatus> {
    const period = budgetPeriod(budget.period, this.#now());
    const held: BudgetReading | null = await this.#counters.readBudget(budgetCounterKey(owner, budget, period));
    const limit = parseBudgetLimit(budget.limit);
    if (held !== null) return { budget, limit, period, spent: held.spent, reserved: held.reserved, source: 'counters' };
    return { budget, limit, period, spent: await this.#loadSpent(owner, budget.currency, period), reserved: 0n, source: 'ledger' };
  }

  #planReservation(scope: Scope, budget: BudgetSpec, worstCases: AdmitRequest['worstCaseCosts'], at: Date): PlannedReservation {
    const period = budgetPeriod(budget.period, at);
    const counterKey = budgetCounterKey(scope, budget, period);
    const limit = parseBudgetLimit(budget.limit);
    // A call no route prices costs nothing and reserves nothing, but an exhausted budget still refuses it: it asks for
    // one micro-unit of room.
    const amount = worstCases[0]?.amount ?? 0n;
    const loadSpent = () => this.#loadSpent(scope, budget.currency, period);
    return { scope, counterKey, budget, amount, period, request: { key: counterKey, amount, room: amount > 0n ? amount : 1n, limit, loadSpent } };
  }

  /** The settled charges of the scope in the period, from the ledger, in the budget's currency. */
  async #loadSpent(scope: BudgetOwner, currency: string, period: BudgetPeriod): Promise<bigint> {
    const filter = scope.kind === 'key' ? { key_id: scope.id } : { tenant: scope.id };
    const totals = await this.#store.sumUsage({ ...filter, ...(period.from === undefined ? {} : { from: period.from, to: period.to }) });
    return totals.filter((row) => row.currency === currency).reduce((sum, row) => sum + row.charged, 0n);
  }
}

/** The counters' key of a budget in a period: a new period (or a changed period kind or currency) starts afresh. */
function budgetCounterKey(owner: BudgetOwner, budget: BudgetSpec, period: BudgetPeriod): string {
  return `budget:${owner.kind}:${owner.id}:${budget.period}:${period.label}:${budget.currency}`;
}

/** A take the limiter is about to ask for, with what its refusal must say. */
interface PlannedTake {
  scope: Scope;
  kind: 'requests' | 'tokens';
  counterKey: string;
  cost: number;
  limit: number;
}

/** A reservation the limiter is about to ask for, with what its refusal must say. */
interface PlannedReservation extends BudgetReservation {
  scope: Scope;
  period: BudgetPeriod;
  request: ReservationRequest;
}

function rateTake(take: PlannedTake, result: RateWindowResult): RateTake {
  return { counterKey: take.counterKey, limit: take.limit, cost: take.cost, remaining: result.remaining, resetMs: result.resetMs };
}

/** A route priced in another currency could charge without the budget seeing it (there are no exchange rates). */
function currencyMismatch(scope: Scope, budget: BudgetSpec, worstCases: AdmitRequest['worstCaseCosts']): PermissionDeniedError | null {
  const foreign = worstCases.find((worstCase) => worstCase.currency !== budget.currency);
  if (foreign === undefined) return null;
  return new PermissionDeniedError(
    `The budget of ${scope.label} is in ${budget.currency}, but this request may run on a route priced in ${foreign.currency}, which the budget ` +
      'cannot bound. ' +
      'Ask for a model whose routes are priced in the budget currency, or have the budget changed.',
    'budget_currency_mismatch',
  );
}

/** The error of a refused batch: the refusing limit's, worded as OpenAI words it. */
function refusalOf(model: string | null, takes: PlannedTake[], reservations: PlannedReservation[], result: AdmitResult): Error {
  const refused = result.refused;
  if (refused?.kind === 'take') return rateLimitError(model, takes[refused.index]!, result.takes[refused.index]!);
  if (refused?.kind === 'reservation') return budgetError(reservations[refused.index]!, result.reservations[refused.index]!);
  return new Error('the counters refused an admission without saying which limit');
}

function rateLimitError(model: string | null, take: PlannedTake, result: RateWindowResult): RateLimitError {
  const { scope, kind, cost, limit } = take;
  const target = model === null ? '' : ` for ${model}`;
  const unit = kind === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
  const headers = rateHeaders(kind, { limit, remaining: result.remaining, resetMs: result.resetMs });
  if (cost > limit) {
    // OpenAI's wording for a request that can never fit, whatever the wait.
    return new RateLimitError(
      `Request too large${target} in ${scope.label} on ${unit}: Limit ${limit}, Requested ${cost}. ` +
        'The input or output tokens must be reduced in order to run successfully.',
      kind,
      result.retryAfterMs,
      headers,
    );
  }
  return new RateLimitError(
    `Rate limit reached${target} in ${scope.label} on ${unit}: Limit ${limit}, Used ${limit - result.remaining}, Requested ${cost}. Please try ` +
      `again in ${formatRateLimitDuration(result.retryAfterMs)}.`,
    kind,
    result.retryAfterMs,
    headers,
  );
}

function budgetError(reservation: PlannedReservation, state: BudgetState): InsufficientQuotaError {
  const { scope, budget, amount, period } = reservation;
  const per = budget.period === 'total' ? 'in total' : `per ${budget.period}`;
  const asked = amount > 0n ? `this request may cost up to ${formatMoney(amount)} ${budget.currency}` : 'the budget is used up';
  const resets = period.to === undefined ? '' : ` It resets at ${period.to}.`;
  return new InsufficientQuotaError(
    `Budget exceeded for ${scope.label}: limit ${formatMoney(state.limit)} ${budget.currency} ${per}, spent ${formatMoney(state.spent)}, ` +
      `reserved by requests in flight ${formatMoney(state.reserved)}; ${asked}.${resets}`,
  );
}

class LimiterAdmission implements Admission {
  readonly #counters: Counters;
  readonly #origin: string | undefined;
  readonly #reservedCurrency: string | null;
  readonly #requestTakes: readonly RateTake[];
  readonly #tokenTakes: RateTake[];
  readonly #reservations: BudgetReservation[];
  #done = false;

  constructor(
    counters: Counters,
    origin: string | undefined,
    reservedCurrency: string | null,
    requestTakes: readonly RateTake[],
    tokenTakes: RateTake[],
    reservations: BudgetReservation[],
  ) {
    this.#counters = counters;
    this.#origin = origin;
    this.#reservedCurrency = reservedCurrency;
    this.#requestTakes = requestTakes;
    this.#tokenTakes = tokenTakes;
    this.#reservations = reservations;
  }

  headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    const requests = tightest(this.#requestTakes);
    if (requests !== undefined) Object.assign(headers, rateHeaders('requests', requests));
    const tokens = tightest(this.#tokenTakes);
    if (tokens !== undefined) Object.assign(headers, rateHeaders('tokens', tokens));
    return headers;
  }

  /** One counters batch (one round trip on Redis): the token corrections and every budget settled. */
  async settle(usage: SettleUsage): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    const used = Math.max(0, Math.ceil(usage.tokens));
    const currency = usage.currency ?? this.#reservedCurrency;
    await this.#counters.settleAll({
      // A positive correction returns unused tokens; a negative one charges an overrun, delaying later calls.
      adjusts: this.#tokenTakes.map((take) => ({ key: take.counterKey, amount: take.cost - used, limit: take.limit, windowMs: RATE_WINDOW_MS })),
      settlements: this.#reservations.map((reservation) => ({
        key: reservation.counterKey,
        reserved: reservation.amount,
        actual: usage.cost !== null && currency === reservation.budget.currency ? usage.cost : 0n,
      })),
      releases: [],
      ...(this.#origin === undefined ? {} : { origin: this.#origin }),
    });
  }

  /** One counters batch: the token and budget reservations given back (requests stay counted). */
  async release(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#counters.settleAll({
      adjusts: this.#tokenTakes.map((take) => ({ key: take.counterKey, amount: take.cost, limit: take.limit, windowMs: RATE_WINDOW_MS })),
      settlements: [],
      releases: this.#reservations.map((reservation) => ({ key: reservation.counterKey, reserved: reservation.amount })),
      ...(this.#origin === undefined ? {} : { origin: this.#origin }),
    });
  }
}

/** The key's limits first, then the tenant's: the order takes happen and refusals are reported in. */
function scopesOf(request: RequestRateCaller): { scope: Scope; limits: Pick<TenantRecord, 'rpm' | 'tpm' | 'budget'> }[] {
  const tenant = { scope: { kind: 'tenant' as const, id: request.tenant.id, label: `tenant ${request.tenant.id}` }, limits: request.tenant };
  if (request.key === null) return [tenant];
  const key = { scope: { kind: 'key' as const, id: request.key.id, label: `key ${request.key.id} (tenant ${request.tenant.id})` }, limits: request.key };
  return [key, tenant];
}

/** The take with the fewest units left (the limit a client will hit first). */
function tightest(takes: readonly RateTake[]): RateTake | undefined {
  return takes.reduce<RateTake | undefined>((best, take) => (best === undefined || take.remaining < best.remaining ? take : best), undefined);
}

/** OpenAI's trio for one kind: `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`, `x-ratelimit-reset-requests`. */
function rateHeaders(kind: 'requests' | 'tokens', state: { limit: number; remaining: number; resetMs: number }): Record<string, string> {
  return {
    [`x-ratelimit-limit-${kind}`]: String(state.limit),
    [`x-ratelimit-remaining-${kind}`]: String(state.remaining),
    [`x-ratelimit-reset-${kind}`]: formatRateLimitDuration(state.resetMs),
  };
}

/** A budget period in UTC: its label in counter keys, and its bounds for the ledger query (none for `total`). */
export interface BudgetPeriod {
  label: string;
  from?: string;
  to?: string;
}

/** The UTC period of a budget that `at` falls in: day `2026-12-31`, month `2026-12`, or `total`. */
export function budgetPeriod(period: BudgetSpec['period'], at: Date): BudgetPeriod {
  // Periods start on whole minutes, so one computed for an instant holds for its whole minute: every reservation of
  // the minute reuses it instead of building dates and ISO strings again (a few µs per request).
  const minute = Math.floor(at.getTime() / 60_000);
  const cached = lastPeriods.get(period);
  if (cached !== undefined && cached.minute === minute) return cached.period;
  const computed = computeBudgetPeriod(period, at);
  lastPeriods.set(period, { minute, period: computed });
  return computed;
}

/** The last period computed per kind, with its minute: at most three entries. */
const lastPeriods = new Map<BudgetSpec['period'], { minute: number; period: BudgetPeriod }>();

function computeBudgetPeriod(period: BudgetSpec['period'], at: Date): BudgetPeriod {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  switch (period) {
    case 'day': {
      const from = new Date(Date.UTC(year, month, at.getUTCDate()));
      const to = new Date(Date.UTC(year, month, at.getUTCDate() + 1));
      return { label: from.toISOString().slice(0, 10), from: from.toISOString(), to: to.toISOString() };
    }
    case 'month': {
      const from = new Date(Date.UTC(year, month, 1));
      const to = new Date(Date.UTC(year, month + 1, 1));
      return { label: from.toISOString().slice(0, 7), from: from.toISOString(), to: to.toISOString() };
    }
    case 'total':
      return { label: 'total' };
  }
}

/** Budget limits as parsed amounts: the few distinct limit strings of an installation, parsed once (at most 1,024 kept). */
const parsedLimits = new Map<string, bigint>();

function parseBudgetLimit(limit: string): bigint {
  let parsed = parsedLimits.get(limit);
  if (parsed === undefined) {
    parsed = parseMoney(limit);
    if (parsedLimits.size >= 1_024) parsedLimits.clear();
    parsedLimits.set(limit, parsed);
  }
  return parsed;
}
