import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientClosedError, UpstreamConnectionError, UpstreamError, UpstreamTimeoutError } from '../wire/index.ts';
import { describeAttemptEnd } from './attempt-observer.ts';

const upstream = (status: number) => new UpstreamError('failed', { route: 'r', status, code: 'upstream_error', retryable: status >= 500 });

describe('describeAttemptEnd', () => {
  const cases: [string, Parameters<typeof describeAttemptEnd>[0], string][] = [
    ['success', null, 'ok'],
    ['the client went away', new ClientClosedError(), 'client_closed'],
    ['the attempt deadline', new UpstreamTimeoutError('r', 1_000), 'timeout'],
    ['a refused or reset connection', new UpstreamConnectionError('r', 'ECONNRESET'), 'connection_error'],
    ['429', upstream(429), 'rate_limited'],
    ['503', upstream(503), 'server_error'],
    ['400', upstream(400), 'client_error'],
    ['401 (a misconfigured route)', upstream(401), 'client_error'],
  ];
  for (const [name, failure, outcome] of cases) it(`${name} -> ${outcome}`, () => assert.equal(describeAttemptEnd(failure), outcome));
});
