// The live event streams of agent sessions on one replica: a subscriber reads the session's numbered events from the
// store, woken by this replica's writes or, for another replica's, by a poll; bounded in number and in duration.
import type { Store } from '../store/index.ts';
import { RateLimitError } from '../wire/index.ts';

/** Events read from the store in one page by a subscriber. */
const EVENT_PAGE = 200;
/** Event streams open at once on one replica, and per tenant: each polls the store, so they are bounded. */
const DEFAULT_MAX_SUBSCRIBERS = 1_024;
const DEFAULT_MAX_SUBSCRIBERS_PER_TENANT = 64;
/** How long one event stream lasts at most (a client reconnects, as after a restart). */
const DEFAULT_MAX_SUBSCRIPTION_MS = 60 * 60_000;

/** An open event stream: its events, and close() to give its place back (call it whether or not it was read). */
export interface SessionSubscription {
  events: AsyncGenerator<Record<string, unknown>>;
  close(): void;
}

/** Tuning of SessionEventStreams (see AgentSessionsOptions). */
export interface SessionEventStreamsOptions {
  pollMs?: number;
  maxSubscribers?: number;
  maxSubscribersPerTenant?: number;
  maxSubscriptionMs?: number;
}

/** The open event streams of one replica. */
export class SessionEventStreams {
  readonly #store: () => Store;
  readonly #pollMs: number;
  readonly #maxSubscribers: number;
  readonly #maxSubscribersPerTenant: number;
  readonly #maxSubscriptionMs: number;
  /** Open event streams, by tenant. */
  readonly #subscribers = new Map<string, number>();
  readonly #listeners = new Map<string, Set<() => void>>();
  readonly #closing = new AbortController();

  constructor(store: () => Store, options: SessionEventStreamsOptions = {}) {
    this.#store = store;
    this.#pollMs = options.pollMs ?? 250;
    this.#maxSubscribers = options.maxSubscribers ?? DEFAULT_MAX_SUBSCRIBERS;
    this.#maxSubscribersPerTenant = options.maxSubscribersPerTenant ?? DEFAULT_MAX_SUBSCRIBERS_PER_TENANT;
    this.#maxSubscriptionMs = options.maxSubscriptionMs ?? DEFAULT_MAX_SUBSCRIPTION_MS;
  }

  /** Wakes the subscribers of a session this replica just wrote events of. */
  notify(sessionId: string): void {
    for (const listener of this.#listeners.get(sessionId) ?? []) listener();
  }

  /** Ends every stream (shutdown). */
  end(): void {
    this.#closing.abort();
  }

  /**
   * Opens a stream of the session's events numbered after `after`, then live ones as they are written, each with its
   * `event_id`, until `signal` aborts, the gateway closes, `until` says an event is the last, the session is deleted,
   * or the stream's time is up. 429 past the bounds on open streams.
   */
  subscribe(
    tenant: string,
    sessionId: string,
    after: number,
    signal: AbortSignal,
    until: (event: Record<string, unknown>) => boolean = () => false,
  ): SessionSubscription {
    const total = [...this.#subscribers.values()].reduce((sum, count) => sum + count, 0);
    const mine = this.#subscribers.get(tenant) ?? 0;
    if (total >= this.#maxSubscribers || mine >= this.#maxSubscribersPerTenant)
      throw new RateLimitError(`Too many open session event streams (${mine} of this tenant, ${total} in all); close one first.`, 'requests', 1_000);
    this.#subscribers.set(tenant, mine + 1);
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      const count = (this.#subscribers.get(tenant) ?? 1) - 1;
      if (count === 0) this.#subscribers.delete(tenant);
      else this.#subscribers.set(tenant, count);
    };
    const stop = AbortSignal.any([signal, this.#closing.signal, AbortSignal.timeout(this.#maxSubscriptionMs)]);
    return { events: this.#follow(tenant, sessionId, after, stop, until), close };
  }

  async *#follow(
    tenant: string,
    sessionId: string,
    after: number,
    stop: AbortSignal,
    until: (event: Record<string, unknown>) => boolean,
  ): AsyncGenerator<Record<string, unknown>> {
    let seq = after;
    while (!stop.aborted) {
      const rows = await this.#store().listAgentEvents(tenant, sessionId, seq, EVENT_PAGE);
      for (const row of rows) {
        seq = row.seq;
        const event = { event_id: `event_${sessionId.slice(5, 29)}_${row.seq}`, ...row.event };
        yield event;
        if (until(event)) return;
      }
      if (rows.length === EVENT_PAGE) continue;
      const notified = await this.#waitForEvents(sessionId, stop);
      if (!notified && !stop.aborted && (await this.#store().getAgentSession(tenant, sessionId)) === null) return;
    }
  }

  /** Waits for this replica's next write to the session, or the poll interval (another replica's); true when notified. */
  #waitForEvents(sessionId: string, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      let listeners = this.#listeners.get(sessionId);
      if (listeners === undefined) {
        listeners = new Set();
        this.#listeners.set(sessionId, listeners);
      }
      const set = listeners;
      const done = (notified: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        set.delete(listener);
        if (set.size === 0 && this.#listeners.get(sessionId) === set) this.#listeners.delete(sessionId);
        resolve(notified);
      };
      const listener = () => done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), this.#pollMs);
      set.add(listener);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
