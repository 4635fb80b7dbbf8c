// The caller's deadline as the official SDKs state it (x-stainless-timeout, in seconds), bounded.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type { Principal } from '../calls/index.ts';
import { callContextOf } from './call-context-of.ts';
import type { Exchange } from './gateway-types.ts';

const PRINCIPAL = { kind: 'master', key: null, tenant: { id: 'default' }, admin: true } as unknown as Principal;

function exchangeWith(headers: Record<string, string>): Exchange {
  return {
    req: { headers } as unknown as IncomingMessage,
    requestId: 'req_1',
    startedAt: 1_000,
    signal: new AbortController().signal,
    route: { method: 'POST', path: '/v1/chat/completions', auth: true, handler: async () => ({ status: 200, headers: {}, body: '' }) },
    params: {},
    principal: PRINCIPAL,
    requestRate: null,
    rawBody: null,
    log: null,
  };
}

describe('callContextOf', () => {
  const cases: [string, Record<string, string>, number | null][] = [
    ['no header: the routes’ timeouts alone', {}, null],
    ['the SDK’s timeout in seconds, from arrival', { 'x-stainless-timeout': '600' }, 601_000],
    ['a fraction of a second', { 'x-stainless-timeout': '1.5' }, 2_500],
    ['zero (an SDK timeout under a second) is ignored', { 'x-stainless-timeout': '0' }, null],
    ['negative is ignored', { 'x-stainless-timeout': '-5' }, null],
    ['past an hour is ignored', { 'x-stainless-timeout': '3601' }, null],
    ['not a number is ignored', { 'x-stainless-timeout': 'soon' }, null],
    ['an overlong value is ignored unread', { 'x-stainless-timeout': '1'.repeat(64) }, null],
  ];
  for (const [name, headers, deadlineAt] of cases) it(name, () => assert.equal(callContextOf(exchangeWith(headers)).deadlineAt, deadlineAt));

  it('carries the principal, ids, signal and routing headers of the exchange', () => {
    const exchange = exchangeWith({ 'x-crossway-providers-only': 'azure' });
    const context = callContextOf(exchange);
    assert.equal(context.principal, PRINCIPAL);
    assert.equal(context.requestId, 'req_1');
    assert.equal(context.signal, exchange.signal);
    assert.equal(context.routingHeaders['x-crossway-providers-only'], 'azure');
  });
});
