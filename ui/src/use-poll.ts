// Data that a page loads and keeps fresh: loaded when its inputs change and again every `intervalMs` while the page
// is visible; one request at a time, the answer of an older request never overwrites a newer one.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** What a page renders from: the last answer, the last error, and when the answer arrived. */
export interface Polled<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  updatedAt: Date | null;
  refresh: () => void;
}

/** Loads `load()` now, whenever `key` changes, and every `intervalMs` (0: never again). */
export function usePoll<T>(load: () => Promise<T>, key: string, intervalMs = 0): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, 'refresh'>>({ data: null, error: null, loading: true, updatedAt: null });
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true }));
    loader.current().then(
      (data) => {
        if (mine === generation.current) setState({ data, error: null, loading: false, updatedAt: new Date() });
      },
      (error: unknown) => {
        if (mine === generation.current)
          setState((previous) => ({ ...previous, error: error instanceof Error ? error : new Error(String(error)), loading: false }));
      },
    );
  }, []);
  useEffect(() => {
    setState({ data: null, error: null, loading: true, updatedAt: null });
    run();
    if (intervalMs <= 0) return undefined;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') run();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [key, intervalMs, run]);
  return { ...state, refresh: run };
}
