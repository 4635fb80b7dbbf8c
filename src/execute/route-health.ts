// Per-route health as the executor observes it: outlier ejection with half-open probes, a time-to-first-byte moving
// average and the recent error rate. In memory, one per gateway process; with peers (other replicas, see
// RouteHealthPeers), ejections and closings are shared and one replica at a time sends a half-open probe.
//
// Ejection follows Envoy's consecutive-failure outlier detection and defaults
// (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier): ejected for base x the number of
// times ejected in a row, capped; the multiplier drops by one per healthy `interval`. Envoy returns an ejected host to
// full traffic when its time is up; we admit one probe at a time instead (half-open), as a circuit breaker does.
// Routes belong to models, as Envoy's hosts to clusters: at most `maxEjectionPercent` of a model's routes are ejected
// at once (one always may be), and below `panicThresholdPercent` healthy routes the model is in panic: health is ignored
// and every route is considered (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/panic_threshold).
import type { RouteHealthChange, RouteHealthPeers } from './route-health-peers.ts';

/** A route's circuit: `open` while ejected, `half_open` once the ejection time is over and until a probe answered. */
export type RouteState = 'closed' | 'open' | 'half_open';

/**
 * What the planner reads (the same shape as policy's `HealthView`, which execute may not import).
 * `epoch` changes whenever any route's state changes, including an ejection running out.
 * While a route's model is in panic, its ejected routes read as `half_open`: kept, ranked after the healthy ones.
 */
export interface RouteHealthView {
  readonly epoch: number;
  state(routeId: string): RouteState;
  /** Exponentially weighted moving average of time to first byte, ms; null before any sample. */
  latencyMs(routeId: string): number | null;
}

/** How a request was let onto a route: normally, or as the one probe of a half-open route. */
export type Admission = 'pass' | 'probe';

export interface OutlierOptions {
  /** Consecutive failures (that count against health) that eject a route. */
  consecutiveFailures: number;
  /** Ejection time of a first ejection; the n-th ejection in a row lasts n times this. */
  baseEjectionMs: number;
  /** Longest ejection. */
  maxEjectionMs: number;
  /** While closed, the ejection count drops by one per this much time (Envoy's `interval`). */
  decayIntervalMs: number;
  /**
   * At most this share of a model's routes is ejected (open or half-open) at once; one route always may be, as in
   * Envoy. A route past the cap stays in service and is ejected at its next failure once a slot is free.
   */
  maxEjectionPercent: number;
  /** Below this share of closed routes a model is in panic: its ejected routes are used again (0 turns panic off). */
  panicThresholdPercent: number;
}

/**
 * Envoy's defaults, except `maxEjectionPercent`: Envoy's 10 % suits clusters of dozens of hosts; with the 2 to 5 routes
 * a model has here, 50 % lets one of 2 or 3 routes and two of 4 or 5 go while half of them always serve (10 % would
 * keep a second broken cloud in every request's path).
 */
export const DEFAULT_OUTLIER_OPTIONS: OutlierOptions = {
  consecutiveFailures: 5,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  decayIntervalMs: 10_000,
  maxEjectionPercent: 50,
  panicThresholdPercent: 50,
};

/** A route as far as health cares: its id and the model it serves. */
export interface RouteMembership {
  id: string;
  model: string;
}

export interface RouteHealthOptions {
  outlier?: Partial<OutlierOptions>;
  /** The catalog's routes, so that the ejection cap and the panic threshold count every route of a model. */
  routes?: Iterable<RouteMembership>;
  /** Weight of the newest time-to-first-byte sample, 0 < alpha <= 1 (default 0.3). */
  latencyEwmaAlpha?: number;
  /** How many recent outcomes the error rate is computed over (default 100). */
  errorWindow?: number;
  /** Milliseconds since the epoch; injected by tests. */
  now?: () => number;
  /** The other replicas: told of ejections and closings, and asked before a half-open probe. None: this process alone. */
  peers?: RouteHealthPeers;
  /** How long a claimed half-open probe is this replica's alone (the attempt timeout); default 60 s. */
  probeLeaseMs?: number;
}

/** One route's health, as `GET /admin/routes` shows it. */
export interface RouteHealthSnapshot {
  route: string;
  state: RouteState;
  /** Ejections in a row, as decayed by healthy time: the next ejection lasts (this + 1) x base. */
  ejections: number;
  consecutive_failures: number;
  /** Failed share of the last outcomes (successes and failures that count against health); null before any. */
  error_rate: number | null;
  latency_ewma_ms: number | null;
  /** ISO time the ejection ends, while open. */
  ejected_until: string | null;
}

interface RouteRecord {
  state: RouteState;
  consecutiveFailures: number;
  /** The ejection multiplier as of `closedAt` (decays from there while closed). */
  ejections: number;
  closedAt: number;
  ejectedUntil: number;
  probeInFlight: boolean;
  /** With peers: whether this replica may send the half-open probe (claimed from them), until `claimUntil`. */
  probeClaim: 'none' | 'claiming' | 'held' | 'denied';
  claimUntil: number;
  /** Bumped whenever the state changes, so that a claim answered after the change is ignored. */
  claimSequence: number;
  latencyEwmaMs: number | null;
  /** Ring of recent outcomes, 1 = failure. */
  outcomes: Uint8Array;
  outcomeCount: number;
  outcomeNext: number;
  failuresInWindow: number;
}

/** The routes of one model: how many, and how many are ejected (open or half-open). */
interface ModelGroup {
  size: number;
  ejected: number;
}

/** Health of every route the executor has used. Long-lived: one per gateway process. */
export class RouteHealth implements RouteHealthView {
  readonly #routes = new Map<string, RouteRecord>();
  /** Route id -> its model's group; routes never registered are counted in no group (no cap, no panic). */
  readonly #groupOf = new Map<string, ModelGroup>();
  readonly #groups = new Map<string, ModelGroup>();
  readonly #outlier: OutlierOptions;
  readonly #alpha: number;
  readonly #errorWindow: number;
  readonly #now: () => number;
  readonly #peers: RouteHealthPeers | undefined;
  readonly #probeLeaseMs: number;
  /** Ejections this many in a row already last `maxEjectionMs`; counting further would only slow the decay. */
  readonly #maxEjections: number;
  #epoch = 0;
  /** Earliest end of a running ejection, so that the open -> half_open check is one comparison until then. */
  #nextExpiry = Infinity;

  constructor(options: RouteHealthOptions = {}) {
    this.#outlier = { ...DEFAULT_OUTLIER_OPTIONS, ...options.outlier };
    this.#alpha = options.latencyEwmaAlpha ?? 0.3;
    this.#errorWindow = options.errorWindow ?? 100;
    this.#now = options.now ?? Date.now;
    this.#peers = options.peers;
    this.#probeLeaseMs = options.probeLeaseMs ?? 60_000;
    this.#maxEjections = Math.max(1, Math.ceil(this.#outlier.maxEjectionMs / this.#outlier.baseEjectionMs));
    if (options.routes !== undefined) this.addRoutes(options.routes);
  }

  /** Makes routes known with their model (a route already known keeps its first model). */
  addRoutes(routes: Iterable<RouteMembership>): void {
    let added = false;
    for (const route of routes) {
      if (this.#groupOf.has(route.id)) continue;
      let group = this.#groups.get(route.model);
      if (group === undefined) {
        group = { size: 0, ejected: 0 };
        this.#groups.set(route.model, group);
      }
      group.size += 1;
      const state = this.#routes.get(route.id)?.state ?? 'closed';
      if (state !== 'closed') group.ejected += 1;
      this.#groupOf.set(route.id, group);
      added = true;
    }
    // A model's size decides its panic, which the planner sees.
    if (added) this.#epoch += 1;
  }

  /**
   * Makes `routes` the whole route set (a reloaded catalog): the models' groups are counted anew, so that routes gone
   * no longer count towards the ejection cap or the panic threshold; each route id keeps its health.
   */
  replaceRoutes(routes: Iterable<RouteMembership>): void {
    this.#groupOf.clear();
    this.#groups.clear();
    this.addRoutes(routes);
    this.#epoch += 1;
  }

  /** Whether the route's model has too few closed routes left, so that health is ignored (see panicThresholdPercent). */
  inPanic(routeId: string): boolean {
    const group = this.#groupOf.get(routeId);
    return group !== undefined && (100 * (group.size - group.ejected)) / group.size < this.#outlier.panicThresholdPercent;
  }

  /** Changes on every state change of any route (ejected, ejection over, probe closed or re-ejected). */
  get epoch(): number {
    this.#refresh();
    return this.#epoch;
  }

  state(routeId: string): RouteState {
    this.#refresh();
    const state = this.#routes.get(routeId)?.state ?? 'closed';
    return state === 'open' && this.inPanic(routeId) ? 'half_open' : state;
  }

  latencyMs(routeId: string): number | null {
    return this.#routes.get(routeId)?.latencyEwmaMs ?? null;
  }

  /**
   * Whether a request may use the route now: null while ejected, and while a half-open route's probe is out, unless
   * its model is in panic (then every route is used; a half-open route still gets its one probe). With peers, the
   * probe is this replica's only once it claimed it: the request that finds the route half-open starts the claim and
   * goes elsewhere, the next one probes; while another replica holds it, the route stays ejected here.
   */
  admit(routeId: string): Admission | null {
    this.#refresh();
    const record = this.#routes.get(routeId);
    if (record === undefined || record.state === 'closed') return 'pass';
    if (record.state === 'open' || record.probeInFlight || !this.#holdsProbe(routeId, record)) return this.inPanic(routeId) ? 'pass' : null;
    record.probeInFlight = true;
    return 'probe';
  }

  /** Whether this replica may probe the half-open route now; starts a claim from the peers when it has none. */
  #holdsProbe(routeId: string, record: RouteRecord): boolean {
    const peers = this.#peers;
    if (peers === undefined) return true;
    if (record.probeClaim === 'claiming') return false;
    if (record.probeClaim !== 'none' && this.#now() < record.claimUntil) return record.probeClaim === 'held';
    record.probeClaim = 'claiming';
    const sequence = record.claimSequence;
    const settle = (granted: boolean): void => {
      if (record.claimSequence !== sequence) return;
      record.probeClaim = granted ? 'held' : 'denied';
      record.claimUntil = this.#now() + this.#probeLeaseMs;
    };
    // Peers that cannot answer leave this replica alone: it probes on its own judgement, as without peers.
    peers.claimProbe(routeId, this.#probeLeaseMs).then(settle, () => settle(true));
    return false;
  }

  /**
   * Applies another replica's ejection or closing of a route (see RouteHealthPeers), without telling the peers again.
   * Changes to routes this replica does not know are ignored; counts and times are bounded by this replica's options.
   */
  applyPeerChange(change: RouteHealthChange): void {
    this.#refresh();
    if (!this.#groupOf.has(change.route) && !this.#routes.has(change.route)) return;
    const record = this.#record(change.route);
    const group = this.#groupOf.get(change.route);
    const now = this.#now();
    const ejections = boundedInteger(change.ejections, this.#maxEjections);
    if (change.state === 'open') {
      if (record.state === 'closed' && group !== undefined) group.ejected += 1;
      record.state = 'open';
      record.ejections = Math.max(1, ejections);
      record.probeInFlight = false;
      record.ejectedUntil = now + boundedInteger(change.ejectedForMs, this.#outlier.maxEjectionMs);
      this.#nextExpiry = Math.min(this.#nextExpiry, record.ejectedUntil);
    } else {
      if (record.state === 'closed') return;
      if (group !== undefined) group.ejected -= 1;
      record.state = 'closed';
      record.ejections = ejections;
      record.closedAt = now;
      record.consecutiveFailures = 0;
      record.probeInFlight = false;
    }
    this.#resetClaim(record);
    this.#epoch += 1;
  }

  /** The route answered well. Only the probe closes a half-open route; older requests still under way do not. */
  recordSuccess(routeId: string, admission: Admission): void {
    const record = this.#record(routeId);
    record.consecutiveFailures = 0;
    this.#pushOutcome(record, 0);
    if (admission === 'probe' && record.state === 'half_open') {
      record.state = 'closed';
      record.probeInFlight = false;
      record.closedAt = this.#now();
      this.#resetClaim(record);
      const group = this.#groupOf.get(routeId);
      if (group !== undefined) group.ejected -= 1;
      this.#epoch += 1;
      this.#peers?.announce({ route: routeId, state: 'closed', ejections: record.ejections });
    }
  }

  /** The route failed in a way that says something about its health (see countsAgainstHealth). */
  recordFailure(routeId: string, admission: Admission): void {
    const record = this.#record(routeId);
    record.consecutiveFailures += 1;
    this.#pushOutcome(record, 1);
    if (admission === 'probe' && record.state === 'half_open') this.#eject(routeId, record);
    else if (record.state === 'closed' && record.consecutiveFailures >= this.#outlier.consecutiveFailures && this.#mayEject(routeId)) {
      const group = this.#groupOf.get(routeId);
      if (group !== undefined) group.ejected += 1;
      this.#eject(routeId, record);
    }
  }

  /** Envoy's cap: the first ejection of a model always, more while they stay within maxEjectionPercent of its routes. */
  #mayEject(routeId: string): boolean {
    const group = this.#groupOf.get(routeId);
    if (group === undefined || group.ejected === 0) return true;
    return (100 * (group.ejected + 1)) / group.size <= this.#outlier.maxEjectionPercent;
  }

  /** The attempt ended without saying anything about the route (client gone, request refused, budget spent). */
  release(routeId: string, admission: Admission): void {
    if (admission !== 'probe') return;
    const record = this.#routes.get(routeId);
    if (record !== undefined) record.probeInFlight = false;
  }

  /** A time-to-first-byte sample of a successful answer. */
  recordLatency(routeId: string, ms: number): void {
    const record = this.#record(routeId);
    record.latencyEwmaMs = record.latencyEwmaMs === null ? ms : this.#alpha * ms + (1 - this.#alpha) * record.latencyEwmaMs;
  }

  /** The given routes' health (routes never used are closed with no samples), or every route used so far. */
  snapshot(routeIds?: Iterable<string>): RouteHealthSnapshot[] {
    this.#refresh();
    const now = this.#now();
    const ids = routeIds === undefined ? [...this.#routes.keys()] : [...routeIds];
    return ids.map((routeId): RouteHealthSnapshot => {
      const record = this.#routes.get(routeId);
      if (record === undefined) {
        return { route: routeId, state: 'closed', ejections: 0, consecutive_failures: 0, error_rate: null, latency_ewma_ms: null, ejected_until: null };
      }
      return {
        route: routeId,
        state: record.state,
        ejections: this.#ejections(record, now),
        consecutive_failures: record.consecutiveFailures,
        error_rate: record.outcomeCount === 0 ? null : record.failuresInWindow / record.outcomeCount,
        latency_ewma_ms: record.latencyEwmaMs === null ? null : Math.round(record.latencyEwmaMs * 10) / 10,
        ejected_until: record.state === 'open' ? new Date(record.ejectedUntil).toISOString() : null,
      };
    });
  }

  #eject(routeId: string, record: RouteRecord): void {
    const now = this.#now();
    record.ejections = Math.min(this.#ejections(record, now) + 1, this.#maxEjections);
    record.state = 'open';
    record.probeInFlight = false;
    record.ejectedUntil = now + Math.min(this.#outlier.baseEjectionMs * record.ejections, this.#outlier.maxEjectionMs);
    this.#nextExpiry = Math.min(this.#nextExpiry, record.ejectedUntil);
    this.#resetClaim(record);
    this.#epoch += 1;
    this.#peers?.announce({ route: routeId, state: 'open', ejectedForMs: record.ejectedUntil - now, ejections: record.ejections });
  }

  /** A new state: the probe claim of the old one is void (the next half-open period claims again). */
  #resetClaim(record: RouteRecord): void {
    record.probeClaim = 'none';
    record.claimSequence += 1;
  }

  /** The ejection multiplier now: while closed it drops by one per healthy decay interval. */
  #ejections(record: RouteRecord, now: number): number {
    if (record.state !== 'closed') return record.ejections;
    const decayed = Math.floor((now - record.closedAt) / this.#outlier.decayIntervalMs);
    return Math.max(0, record.ejections - decayed);
  }

  /** Turns ejections whose time is over into half-open routes. */
  #refresh(): void {
    const now = this.#now();
    if (now < this.#nextExpiry) return;
    let next = Infinity;
    for (const record of this.#routes.values()) {
      if (record.state !== 'open') continue;
      if (record.ejectedUntil <= now) {
        record.state = 'half_open';
        this.#epoch += 1;
      } else next = Math.min(next, record.ejectedUntil);
    }
    this.#nextExpiry = next;
  }

  #pushOutcome(record: RouteRecord, failed: 0 | 1): void {
    if (record.outcomeCount === this.#errorWindow) record.failuresInWindow -= record.outcomes[record.outcomeNext] ?? 0;
    else record.outcomeCount += 1;
    record.outcomes[record.outcomeNext] = failed;
    record.failuresInWindow += failed;
    record.outcomeNext = (record.outcomeNext + 1) % this.#errorWindow;
  }

  #record(routeId: string): RouteRecord {
    let record = this.#routes.get(routeId);
    if (record === undefined) {
      record = {
        state: 'closed',
        consecutiveFailures: 0,
        ejections: 0,
        closedAt: this.#now(),
        ejectedUntil: 0,
        probeInFlight: false,
        probeClaim: 'none',
        claimUntil: 0,
        claimSequence: 0,
        latencyEwmaMs: null,
        outcomes: new Uint8Array(this.#errorWindow),
        outcomeCount: 0,
        outcomeNext: 0,
        failuresInWindow: 0,
      };
      this.#routes.set(routeId, record);
    }
    return record;
  }
}

/** A whole number in [0, max]; anything else a peer sent (NaN, negative, huge) is read as its nearest bound, NaN as 0. */
function boundedInteger(value: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(0, Math.floor(value))) : value === Infinity ? max : 0;
}
