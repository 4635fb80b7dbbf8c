// The token cache of the authenticators that send short-lived bearer tokens (Microsoft Entra ID, Google OAuth): one
// token per route, reused until shortly before it expires, refreshed by one shared call, never fetched per request.

/** A token as its issuer handed it out. */
export interface FetchedToken {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** Start refreshing no later than this (Entra's `refreshAfterTimestamp`), if the issuer says so. */
  refreshAfter?: number;
}

/** What a cached token needs: how to fetch one, how to report a failure, and (for tests) a clock. */
export interface CachedTokenOptions {
  /** Gets a new token; called at most once at a time. */
  fetchToken(): Promise<FetchedToken>;
  /** The error callers see when a fetch fails (an UpstreamError naming the route, without secrets). */
  toError(cause: unknown): Error;
  /** Milliseconds since the epoch; `Date.now` by default. */
  now?: () => number;
}

/** A route's cached token. */
export interface CachedToken {
  /** A token that is valid now; waits for a fetch only when there is none. `signal` stops this caller's wait. */
  get(signal?: AbortSignal): Promise<string>;
}

/** Refresh this long before a token expires (the token stays in use while the refresh runs). */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;
/** Never send a token that expires sooner than this; wait for a new one instead. */
export const TOKEN_EXPIRY_SKEW_MS = 30_000;
/** After a failed background refresh, wait this long before trying again (the current token is still valid). */
export const TOKEN_RETRY_INTERVAL_MS = 10_000;

interface Held extends FetchedToken {
  /** When to start a background refresh. */
  refreshAt: number;
  /** After this, callers wait for a new token. */
  usableUntil: number;
}

/**
 * A token cache:
 * - a token is reused until `TOKEN_REFRESH_MARGIN_MS` before it expires (or its `refreshAfter`);
 * - inside that window the current token is still handed out while one background refresh runs; a failed background
 *   refresh is retried after `TOKEN_RETRY_INTERVAL_MS`;
 * - without a usable token (none yet, or less than `TOKEN_EXPIRY_SKEW_MS` left), callers wait for the refresh, and
 *   concurrent callers share that one fetch;
 * - a failed fetch rejects the waiting callers with `toError(cause)`; the next call tries again.
 * Margin and skew never exceed half and a tenth of the token's lifetime, so a short-lived token (a test issuer's) is
 * still reused for half its life instead of being fetched per request.
 */
export function createCachedToken(options: CachedTokenOptions): CachedToken {
  const now = options.now ?? Date.now;
  let held: Held | null = null;
  let refreshing: Promise<Held> | null = null;
  let lastFailureAt = Number.NEGATIVE_INFINITY;

  function refresh(): Promise<Held> {
    refreshing ??= (async () => {
      try {
        const fetched = await options.fetchToken();
        held = hold(fetched, now());
        return held;
      } catch (error) {
        lastFailureAt = now();
        throw options.toError(error);
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  return {
    async get(signal) {
      const at = now();
      if (held !== null && at < held.refreshAt) return held.token;
      if (held !== null && at < held.usableUntil) {
        // Still valid: keep using it and refresh in the background (errors are retried on a later call).
        if (refreshing === null && at - lastFailureAt >= TOKEN_RETRY_INTERVAL_MS) refresh().catch(() => {});
        return held.token;
      }
      return (await abortable(refresh(), signal)).token;
    },
  };
}

function hold(fetched: FetchedToken, fetchedAt: number): Held {
  const lifetime = Math.max(0, fetched.expiresAt - fetchedAt);
  const byMargin = fetched.expiresAt - Math.min(TOKEN_REFRESH_MARGIN_MS, lifetime / 2);
  return {
    ...fetched,
    refreshAt: fetched.refreshAfter === undefined ? byMargin : Math.min(byMargin, fetched.refreshAfter),
    usableUntil: fetched.expiresAt - Math.min(TOKEN_EXPIRY_SKEW_MS, lifetime / 10),
  };
}

/** Waits for `promise` unless `signal` aborts first; the shared promise itself keeps running for other callers. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
