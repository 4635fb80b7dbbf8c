import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Exchange, GatewayContext } from './gateway-types.ts';
import { handleHealth, handleReady } from './handle-health.ts';

/** The few fields the health handlers read; the store answers pings as told. */
function contextOf(draining: boolean, storeUp = true): GatewayContext {
  return {
    draining,
    catalog: { version: 'abc123', routes: [{}] },
    store: { ping: async () => (storeUp ? undefined : Promise.reject(new Error('down'))) },
  } as unknown as GatewayContext;
}
const exchange = {} as Exchange;
const bodyOf = (result: Awaited<ReturnType<typeof handleReady>>) => ('body' in result ? JSON.parse(String(result.body)) : null);

describe('health', () => {
  it('is ready with a store and routes, naming the catalog version', async () => {
    const result = await handleReady(contextOf(false), exchange);
    assert.equal(result.status, 200);
    assert.equal(bodyOf(result).checks.catalog, 'ok (version abc123)');
  });
  it('is not ready while draining, without asking the store, and still live', async () => {
    const result = await handleReady(contextOf(true, false), exchange);
    assert.equal(result.status, 503);
    assert.equal(bodyOf(result).status, 'draining');
    assert.equal((await handleHealth(contextOf(true), exchange)).status, 200);
  });
});
