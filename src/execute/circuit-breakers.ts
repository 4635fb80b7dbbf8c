// Per-route circuit breakers: consecutive retryable failures open a route's circuit for a cooldown,
// after which one trial request decides whether it closes again. In-memory; shared counters come later.

export type CircuitState = 'closed' | 'open' | 'half-open';

interface RouteCircuit {
  failures: number;
  openedAt: number | null;
  /** A trial request is under way while half-open; others keep skipping the route. */
  trialInFlight: boolean;
}

export interface CircuitOptions {
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
}

/** Tracks the health of every route. Long-lived: one per gateway process. */
export class CircuitBreakers {
  readonly #circuits = new Map<string, RouteCircuit>();
  readonly #options: Required<CircuitOptions>;

  constructor(options: CircuitOptions) {
    this.#options = { now: Date.now, ...options };
  }

  /** The route's state right now. */
  state(routeId: string): CircuitState {
    const circuit = this.#circuits.get(routeId);
    if (circuit === undefined || circuit.openedAt === null) return 'closed';
    return this.#options.now() - circuit.openedAt >= this.#options.cooldownMs ? 'half-open' : 'open';
  }

  /** Whether a request may use the route now; in half-open state only one trial at a time is let through. */
  tryAcquire(routeId: string): boolean {
    const state = this.state(routeId);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const circuit = this.#circuit(routeId);
    if (circuit.trialInFlight) return false;
    circuit.trialInFlight = true;
    return true;
  }

  /** The route answered well: close its circuit. */
  recordSuccess(routeId: string): void {
    const circuit = this.#circuits.get(routeId);
    if (circuit === undefined) return;
    circuit.failures = 0;
    circuit.openedAt = null;
    circuit.trialInFlight = false;
  }

  /** The route failed in a way that says something about its health (timeouts, 429, 5xx, connection errors). */
  recordFailure(routeId: string): void {
    const circuit = this.#circuit(routeId);
    circuit.failures += 1;
    const trialFailed = circuit.trialInFlight;
    circuit.trialInFlight = false;
    if (trialFailed || circuit.failures >= this.#options.failureThreshold) circuit.openedAt = this.#options.now();
  }

  /** The attempt ended without telling anything about the route (e.g. the client went away). */
  release(routeId: string): void {
    const circuit = this.#circuits.get(routeId);
    if (circuit !== undefined) circuit.trialInFlight = false;
  }

  /** Snapshot for health endpoints and explanations. */
  snapshot(): Record<string, { state: CircuitState; failures: number }> {
    const out: Record<string, { state: CircuitState; failures: number }> = {};
    for (const [routeId, circuit] of this.#circuits) out[routeId] = { state: this.state(routeId), failures: circuit.failures };
    return out;
  }

  #circuit(routeId: string): RouteCircuit {
    let circuit = this.#circuits.get(routeId);
    if (circuit === undefined) {
      circuit = { failures: 0, openedAt: null, trialInFlight: false };
      this.#circuits.set(routeId, circuit);
    }
    return circuit;
  }
}
