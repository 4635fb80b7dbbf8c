// The part of autocannon's API the bench uses (the package ships no types). Source: autocannon's README ("API").
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  function autocannon(options: autocannon.AutocannonOptions, callback: (error: Error | null, result: autocannon.AutocannonResult) => void): EventEmitter;

  namespace autocannon {
    interface AutocannonOptions {
      url: string;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      pipelining?: number;
      /** Seconds. */
      timeout?: number;
      overallRate?: number;
    }

    interface AutocannonResult {
      /** Transport errors, timeouts included. */
      errors: number;
      timeouts: number;
      non2xx: number;
      /** Seconds. */
      duration: number;
      totalCompletedRequests: number;
    }
  }

  export = autocannon;
}
